// Sarvam's /speech-to-text/ws messages, both ways (the AsyncAPI spec on
// docs.sarvam.ai/api-reference/legacy/speech-to-text/transcribe/ws and the streaming guide): audio goes out as JSON
// text frames `{"audio":{"data":<base64 PCM16LE>,"sample_rate":<Hz>,"encoding":"audio/wav"}}` (with
// `input_audio_codec=pcm_s16le` on the URL the data is bare PCM, no header), `{"type":"flush"}` asks for the pending
// transcript (`flush_signal=true`); the server answers `{"type":"data","data":{request_id, transcript, language_code,
// language_probability?, metrics?}}`, `{"type":"events","data":{signal_type: START_SPEECH|END_SPEECH, occured_at}}`
// (`vad_signals=true`) and `{"type":"error","data":{message|error, code}}`. Read within JSON limits; only the fields
// used are checked, and message types added after this was written are ignored.
import { z } from 'zod';
import { asBuffer } from '../../audio/pcm.js';
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson } from '../../limits/bounded-json.js';

/** Largest message accepted (a transcript with metrics is well under 1 KB). */
export const MAX_SARVAM_MESSAGE_BYTES = DEFAULT_JSON_LIMITS.maxBytes;

export const SARVAM_FLUSH = JSON.stringify({ type: 'flush' });

/** One chunk of caller audio as Sarvam's audio message. */
export function sarvamAudioMessage(samples: Int16Array, sampleRate: number): string {
  return JSON.stringify({ audio: { data: asBuffer(samples).toString('base64'), sample_rate: sampleRate, encoding: 'audio/wav' } });
}

const dataSchema = z.object({
  transcript: z.string(),
  request_id: z.string().nullish(),
  language_code: z.string().nullish(),
  language_probability: z.number().nullish(),
  metrics: z.object({ audio_duration: z.number().nullish(), processing_latency: z.number().nullish() }).partial().nullish(),
});
const eventsSchema = z.object({ signal_type: z.string().optional(), occured_at: z.number().optional() });
const errorSchema = z.object({ message: z.string().nullish(), error: z.string().nullish(), code: z.union([z.string(), z.number()]).nullish() });

export type SarvamMessage =
  | { type: 'transcript'; text: string; language?: string; languageProbability?: number; requestId?: string }
  | { type: 'speech-started' }
  | { type: 'speech-ended' }
  | { type: 'error'; message: string; code?: string }
  | { type: 'ignored' }
  | { type: 'invalid'; reason: string };

/** One text frame from the server; never throws. */
export function parseSarvamMessage(text: string): SarvamMessage {
  const parsed = tryParseBoundedJson(text, DEFAULT_JSON_LIMITS);
  if (!parsed.ok) {
    return { type: 'invalid', reason: parsed.error.reason === 'syntax' ? 'Sarvam sent a message that is not JSON' : `Sarvam sent a message over the JSON limits (${parsed.error.message})` };
  }
  const msg = parsed.value as { type?: unknown; data?: unknown } | null;
  if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') return { type: 'invalid', reason: 'Sarvam sent a message without a type' };
  switch (msg.type) {
    case 'data': {
      const r = dataSchema.safeParse(msg.data);
      if (!r.success) return { type: 'invalid', reason: 'Sarvam sent a malformed data message' };
      const d = r.data;
      return {
        type: 'transcript',
        text: d.transcript,
        // `unknown` is what was asked for, not what was heard.
        language: d.language_code && d.language_code !== 'unknown' ? d.language_code : undefined,
        languageProbability: d.language_probability ?? undefined,
        requestId: d.request_id ?? undefined,
      };
    }
    case 'events': {
      const r = eventsSchema.safeParse(msg.data);
      if (!r.success) return { type: 'invalid', reason: 'Sarvam sent a malformed events message' };
      if (r.data.signal_type === 'START_SPEECH') return { type: 'speech-started' };
      if (r.data.signal_type === 'END_SPEECH') return { type: 'speech-ended' };
      return { type: 'ignored' };
    }
    case 'error': {
      const r = errorSchema.safeParse(msg.data ?? msg);
      const e = r.success ? r.data : {};
      const code = e.code === null || e.code === undefined ? undefined : String(e.code);
      return { type: 'error', message: e.message || e.error || 'Sarvam reported an error', code };
    }
    default:
      return { type: 'ignored' };
  }
}
