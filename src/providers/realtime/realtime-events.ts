// OpenAI Realtime wire events: zod schemas for the server events the bridge relies on, and the client events it
// sends. The GA protocol renamed a few server events; the beta names are mapped onto the GA ones here so the rest of
// the code handles one vocabulary:
//   response.audio.delta / .done            -> response.output_audio.delta / .done
//   response.audio_transcript.delta / .done -> response.output_audio_transcript.delta / .done
//   response.text.delta / .done             -> response.output_text.delta / .done
//   conversation.item.created               -> conversation.item.added
// Sources: developers.openai.com/api/docs/guides/realtime-conversations (event flow, function calling, truncation),
// the API reference of client/server events (GA and beta), and openai/openai-agents-js
// packages/agents-realtime/src/openaiRealtimeEvents.ts for the GA field names.
import { z } from 'zod';
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson, type JsonLimits } from '../../limits/bounded-json.js';

const id = z.string().min(1);
const index = z.number().int().nonnegative();

/** A conversation item as the server reports it (only the fields we use are checked; others pass through). */
export const realtimeItemSchema = z
  .object({
    id: id.optional(),
    type: z.string(),
    role: z.string().optional(),
    status: z.string().optional(),
    name: z.string().optional(),
    call_id: z.string().optional(),
    arguments: z.string().optional(),
    content: z.array(z.looseObject({ type: z.string(), transcript: z.string().nullable().optional(), text: z.string().nullable().optional() })).optional(),
  })
  .loose();
export type RealtimeItem = z.infer<typeof realtimeItemSchema>;

const responseSchema = z
  .object({
    id: id.optional(),
    status: z.enum(['in_progress', 'completed', 'cancelled', 'failed', 'incomplete']).optional(),
    status_details: z.unknown().optional(),
    output: z.array(realtimeItemSchema).optional(),
  })
  .loose();

const errorSchema = z
  .object({
    type: z.string().optional(),
    code: z.string().nullable().optional(),
    message: z.string().optional(),
    param: z.string().nullable().optional(),
    event_id: z.string().nullable().optional(),
  })
  .loose();

const base = { event_id: z.string().optional() };
const part = { response_id: id, item_id: id, output_index: index, content_index: index };

export const serverEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('session.created'), session: z.looseObject({}) }),
  z.object({ ...base, type: z.literal('session.updated'), session: z.looseObject({}) }),
  z.object({ ...base, type: z.literal('error'), error: errorSchema }),
  z.object({ ...base, type: z.literal('input_audio_buffer.speech_started'), item_id: id, audio_start_ms: z.number() }),
  z.object({ ...base, type: z.literal('input_audio_buffer.speech_stopped'), item_id: id, audio_end_ms: z.number() }),
  z.object({ ...base, type: z.literal('input_audio_buffer.committed'), item_id: id, previous_item_id: z.string().nullable().optional() }),
  z.object({ ...base, type: z.literal('input_audio_buffer.cleared') }),
  z.object({ ...base, type: z.literal('conversation.item.added'), item: realtimeItemSchema, previous_item_id: z.string().nullable().optional() }),
  z.object({ ...base, type: z.literal('conversation.item.done'), item: realtimeItemSchema }),
  z.object({ ...base, type: z.literal('conversation.item.truncated'), item_id: id, content_index: index, audio_end_ms: z.number() }),
  z.object({ ...base, type: z.literal('conversation.item.input_audio_transcription.completed'), item_id: id, content_index: index.optional(), transcript: z.string() }),
  z.object({ ...base, type: z.literal('conversation.item.input_audio_transcription.failed'), item_id: id, error: errorSchema.optional() }),
  z.object({ ...base, type: z.literal('response.created'), response: responseSchema }),
  z.object({ ...base, type: z.literal('response.done'), response: responseSchema }),
  z.object({ ...base, type: z.literal('response.output_item.added'), response_id: id, output_index: index, item: realtimeItemSchema }),
  z.object({ ...base, type: z.literal('response.output_item.done'), response_id: id, output_index: index, item: realtimeItemSchema }),
  z.object({ ...base, type: z.literal('response.output_audio.delta'), ...part, delta: z.string() }),
  z.object({ ...base, type: z.literal('response.output_audio.done'), ...part }),
  z.object({ ...base, type: z.literal('response.output_audio_transcript.delta'), ...part, delta: z.string() }),
  z.object({ ...base, type: z.literal('response.output_audio_transcript.done'), ...part, transcript: z.string() }),
  z.object({ ...base, type: z.literal('response.output_text.delta'), ...part, delta: z.string() }),
  z.object({ ...base, type: z.literal('response.output_text.done'), ...part, text: z.string() }),
  z.object({
    ...base,
    type: z.literal('response.function_call_arguments.delta'),
    response_id: id,
    item_id: id,
    output_index: index,
    call_id: id,
    delta: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('response.function_call_arguments.done'),
    response_id: id,
    item_id: id,
    output_index: index,
    call_id: id,
    name: z.string().optional(),
    arguments: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('rate_limits.updated'),
    rate_limits: z.array(z.looseObject({ name: z.string().optional(), limit: z.number().optional(), remaining: z.number().optional(), reset_seconds: z.number().optional() })),
  }),
]);

export type RealtimeServerEvent = z.infer<typeof serverEventSchema>;
export type RealtimeServerEventType = RealtimeServerEvent['type'];
export type ServerEventOf<T extends RealtimeServerEventType> = Extract<RealtimeServerEvent, { type: T }>;

const BETA_NAMES: Record<string, RealtimeServerEventType> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
  'response.text.delta': 'response.output_text.delta',
  'response.text.done': 'response.output_text.done',
  'conversation.item.created': 'conversation.item.added',
};

const KNOWN = new Set<string>(serverEventSchema.options.map((o) => o.shape.type.value));

export type ParsedServerEvent =
  | { kind: 'event'; event: RealtimeServerEvent }
  /** A type this client does not handle (the API adds events over time): ignore it. */
  | { kind: 'ignored'; type: string }
  | { kind: 'invalid'; reason: string };

/** Largest server event accepted: audio deltas are base64 in a JSON string, so strings may be as long. */
export const MAX_REALTIME_EVENT_BYTES = 4 * 1024 * 1024;
const EVENT_LIMITS: JsonLimits = { ...DEFAULT_JSON_LIMITS, maxBytes: MAX_REALTIME_EVENT_BYTES, maxStringLength: MAX_REALTIME_EVENT_BYTES };

/** Parses one server text frame within EVENT_LIMITS; never throws. */
export function parseServerEvent(text: string): ParsedServerEvent {
  const parsed = tryParseBoundedJson(text, EVENT_LIMITS);
  if (!parsed.ok) {
    return { kind: 'invalid', reason: parsed.error.reason === 'syntax' ? `not JSON (${text.length} chars)` : `over the JSON limits (${parsed.error.message})` };
  }
  const raw = parsed.value;
  if (typeof raw !== 'object' || raw === null || typeof (raw as { type?: unknown }).type !== 'string') {
    return { kind: 'invalid', reason: 'event without a type' };
  }
  const obj = raw as { type: string };
  const renamed = BETA_NAMES[obj.type];
  if (renamed) obj.type = renamed;
  if (!KNOWN.has(obj.type)) return { kind: 'ignored', type: obj.type };
  const result = serverEventSchema.safeParse(obj);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { kind: 'invalid', reason: `${obj.type}: ${issue.path.join('.') || '(root)'} ${issue.message}` };
  }
  return { kind: 'event', event: result.data };
}

// ---------------------------------------------------------------------------------------------
// Client events
// ---------------------------------------------------------------------------------------------

/** Items the bridge creates: text turns (history replay), function results. */
export type RealtimeInputItem =
  | { type: 'message'; role: 'user' | 'assistant' | 'system'; content: Array<{ type: string; text: string }> }
  | { type: 'function_call_output'; call_id: string; output: string };

export type RealtimeClientEvent =
  | { type: 'session.update'; session: Record<string, unknown> }
  | { type: 'input_audio_buffer.commit' }
  | { type: 'input_audio_buffer.clear' }
  | { type: 'conversation.item.create'; item: RealtimeInputItem; previous_item_id?: string }
  | { type: 'conversation.item.truncate'; item_id: string; content_index: number; audio_end_ms: number }
  | { type: 'response.create'; response?: Record<string, unknown> }
  | { type: 'response.cancel'; response_id?: string };
