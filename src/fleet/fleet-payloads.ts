// What other nodes wrote to Redis, validated before use: another node, or another version of this one, wrote it,
// and a bad entry must be skipped, never crash the reader or leak into an answer.
import { z } from 'zod';
import type { CallDetails } from '../call/call-details.js';
import type { SessionSnapshot } from '../call/session-registry.js';
import { NODE_ID_PATTERN } from '../config/env.js';
import { isValidId } from '../exotel/identifiers.js';
import { tryParseBoundedJson, type JsonLimits } from '../limits/bounded-json.js';

/** A snapshot is ~300 bytes and call details a few KB (the webhook's parameters are bounded at 8 KB each). */
const LIMITS: JsonLimits = { maxBytes: 256 * 1024, maxDepth: 4, maxKeys: 128, maxItems: 16, maxStringLength: 8192 };

const text = z.string().max(512);
const nodeId = z.string().regex(NODE_ID_PATTERN);
const callId = z.string().refine((v) => isValidId('callId', v));
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const snapshotSchema = z.object({
  callId,
  streamSid: text.optional(),
  from: text.optional(),
  to: text.optional(),
  direction: text.optional(),
  agent: text.optional(),
  sampleRate: count,
  startedAt: z.string().max(40),
  durationMs: count,
  framesIn: count,
  framesOut: count,
  state: z.enum(['connected', 'streaming', 'ending']),
  nodeId,
});

const detailsSchema = z.object({
  callId,
  from: text.optional(),
  to: text.optional(),
  direction: text.optional(),
  customField: z.string().max(8192).optional(),
  agent: text.optional(),
  params: z.record(z.string().max(128), z.string().max(8192)),
  receivedAt: count,
});

const heartbeatSchema = z.object({ nodeId, startedAt: count, at: count });
export type Heartbeat = z.infer<typeof heartbeatSchema>;

function parse<T>(schema: z.ZodType<T>, raw: string | null | undefined): T | undefined {
  if (typeof raw !== 'string') return undefined;
  const json = tryParseBoundedJson(raw, LIMITS);
  if (!json.ok) return undefined;
  const result = schema.safeParse(json.value);
  return result.success ? result.data : undefined;
}

/** A snapshot from `exovoice:node-calls:<nodeId>`, or undefined when it is not one (or names another node). */
export function parseSnapshot(raw: string | null | undefined, expectedNode: string): SessionSnapshot | undefined {
  const s = parse(snapshotSchema, raw);
  return s && s.nodeId === expectedNode ? s : undefined;
}

/** Call details from `exovoice:call-details:<callId>`, or undefined when they are not (or are another call's). */
export function parseCallDetails(raw: string | null | undefined, expectedCall: string): CallDetails | undefined {
  const d = parse(detailsSchema, raw);
  if (!d || d.callId !== expectedCall) return undefined;
  // Without a prototype, like every other parsed outside input.
  return { ...d, params: Object.assign(Object.create(null) as Record<string, string>, d.params) };
}

export function parseHeartbeat(raw: string | null | undefined): Heartbeat | undefined {
  return parse(heartbeatSchema, raw);
}
