// Deepgram's listen.v1 server messages (Results, SpeechStarted, UtteranceEnd, Metadata; the AsyncAPI spec at
// developers.deepgram.com/reference/speech-to-text/listen-streaming), read within JSON limits: only the fields
// we use are checked, types added after this adapter was written are ignored.
import { z } from 'zod';
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson } from '../../limits/bounded-json.js';

/** Largest message accepted (a Results message with word timings is a few KB). */
export const MAX_DEEPGRAM_MESSAGE_BYTES = DEFAULT_JSON_LIMITS.maxBytes;

const resultsSchema = z.object({
  start: z.number(),
  duration: z.number(),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  from_finalize: z.boolean().optional(),
  channel: z.object({
    alternatives: z.array(z.object({ transcript: z.string(), confidence: z.number() })),
  }),
});
const speechStartedSchema = z.object({ timestamp: z.number() });
const utteranceEndSchema = z.object({ last_word_end: z.number() });
const metadataSchema = z.object({ request_id: z.string().optional() });

/** A server message, times in Deepgram's seconds since the connection opened. */
export type DeepgramMessage =
  | { type: 'results'; text: string; confidence?: number; final: boolean; speechFinal: boolean; fromFinalize: boolean; start: number; end: number }
  | { type: 'speech-started'; at: number }
  | { type: 'utterance-end'; at: number }
  | { type: 'metadata'; requestId?: string }
  | { type: 'ignored' }
  | { type: 'invalid'; reason: string };

/** One text frame; never throws. */
export function parseDeepgramMessage(text: string): DeepgramMessage {
  const parsed = tryParseBoundedJson(text, DEFAULT_JSON_LIMITS);
  if (!parsed.ok) {
    return { type: 'invalid', reason: parsed.error.reason === 'syntax' ? 'Deepgram sent a message that is not JSON' : `Deepgram sent a message over the JSON limits (${parsed.error.message})` };
  }
  const msg = parsed.value;
  const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') return { type: 'invalid', reason: 'Deepgram sent a message without a type' };
  switch (type) {
    case 'Results': {
      const r = resultsSchema.safeParse(msg);
      if (!r.success) return { type: 'invalid', reason: 'Deepgram sent a malformed Results message' };
      const m = r.data;
      const alt = m.channel.alternatives[0];
      return {
        type: 'results',
        text: alt?.transcript ?? '',
        confidence: alt?.confidence,
        final: m.is_final === true,
        speechFinal: m.speech_final === true,
        fromFinalize: m.from_finalize === true,
        start: m.start,
        end: m.start + m.duration,
      };
    }
    case 'SpeechStarted': {
      const r = speechStartedSchema.safeParse(msg);
      return r.success ? { type: 'speech-started', at: r.data.timestamp } : { type: 'invalid', reason: 'Deepgram sent a malformed SpeechStarted message' };
    }
    case 'UtteranceEnd': {
      const r = utteranceEndSchema.safeParse(msg);
      return r.success ? { type: 'utterance-end', at: r.data.last_word_end } : { type: 'invalid', reason: 'Deepgram sent a malformed UtteranceEnd message' };
    }
    case 'Metadata': {
      const r = metadataSchema.safeParse(msg);
      return { type: 'metadata', requestId: r.success ? r.data.request_id : undefined };
    }
    default:
      // Types added after this adapter was written (e.g. answers to Configure) are not errors.
      return { type: 'ignored' };
  }
}
