// Input validation for the call store: malformed input throws CallStoreValidationError naming each
// bad field. Sizes are capped so one bad caller cannot bloat the database: identifiers and JSON blobs
// over their cap are rejected; free text (transcript turns) is cut, since it comes from ASR/LLM output
// on the media path where rejecting a turn would lose it entirely.
import { z } from 'zod';
import type {
  CallUpdate,
  ListQuery,
  NewCall,
  NewTurn,
  TurnUpdate,
} from './call-store.js';
import { CALL_STATUSES } from './call-status.js';
import { CallStoreValidationError } from './errors.js';

export const MAX_TURN_TEXT_CHARS = 8192;
export const MAX_EXOTEL_JSON_BYTES = 8192;
export const MAX_LIST_LIMIT = 200;
export const DEFAULT_LIST_LIMIT = 50;

const END_REASONS = [
  'caller-hangup',
  'bot-hangup',
  'transfer',
  'socket-closed',
  'error',
  'timeout',
  'max-duration',
  'canceled',
  'node-lost',
] as const;

const EVENT_TYPE = /^[a-z][a-z0-9._-]{0,47}$/;

const id = (max: number) => z.string().min(1).max(max);
const epochMs = z.number().finite().nonnegative().transform(Math.round);
const direction = z.enum(['inbound', 'outbound']);
const status = z.enum(CALL_STATUSES);
const jsonObject = z.record(z.string(), z.unknown());
const text = z.string().transform((s) => (s.length > MAX_TURN_TEXT_CHARS ? s.slice(0, MAX_TURN_TEXT_CHARS) : s));

function boundedJson<T extends z.ZodType>(schema: T) {
  return schema.refine((v) => Buffer.byteLength(JSON.stringify(v), 'utf8') <= MAX_EXOTEL_JSON_BYTES, {
    message: `larger than ${MAX_EXOTEL_JSON_BYTES} bytes as JSON`,
  });
}

const newCallSchema = z.strictObject({
  direction,
  from: id(64).optional(),
  to: id(64).optional(),
  agent: id(128).optional(),
  customField: z.string().max(4096).optional(),
  callSid: id(128).optional(),
  streamSid: id(128).optional(),
  callLogId: id(128).optional(),
  status: status.optional(),
  createdAt: epochMs.optional(),
});

const callUpdateSchema = z.strictObject({
  status: status.optional(),
  callSid: id(128).optional(),
  streamSid: id(128).optional(),
  callLogId: id(128).optional(),
  from: id(64).optional(),
  to: id(64).optional(),
  agent: id(128).optional(),
  customField: z.string().max(4096).optional(),
  answeredAt: epochMs.optional(),
  startedAt: epochMs.optional(),
  endedAt: epochMs.optional(),
  endReason: z.enum(END_REASONS).optional(),
  closeCode: z.number().int().min(0).max(65535).optional(),
  recordingUrl: z.string().url().max(2048).optional(),
  exotelStatus: id(64).optional(),
  exotelLegs: boundedJson(z.array(jsonObject).max(16)).optional(),
  exotelDetails: boundedJson(jsonObject).optional(),
});

const newTurnSchema = z.strictObject({
  role: z.enum(['caller', 'agent']),
  text,
  startedAt: epochMs,
  endedAt: epochMs.optional(),
  interrupted: z.boolean().optional(),
  heardText: text.optional(),
});

const turnUpdateSchema = z.strictObject({
  text: text.optional(),
  endedAt: epochMs.optional(),
  interrupted: z.boolean().optional(),
  heardText: text.optional(),
});

const listQuerySchema = z.strictObject({
  status: status.optional(),
  direction: direction.optional(),
  number: id(64).optional(),
  agent: id(64).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  cursor: z.string().max(512).optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${[what, ...i.path].join('.')}: ${i.message}`);
  throw new CallStoreValidationError(`invalid ${what}: ${issues.join('; ')}`, issues);
}

export const parseNewCall = (v: unknown): NewCall => parse(newCallSchema, v, 'call');
export const parseCallUpdate = (v: unknown): CallUpdate => parse(callUpdateSchema, v, 'update');
export const parseNewTurn = (v: unknown): NewTurn => parse(newTurnSchema, v, 'turn');
export const parseTurnUpdate = (v: unknown): TurnUpdate => parse(turnUpdateSchema, v, 'turnUpdate');
export const parseListQuery = (v: unknown): ListQuery => parse(listQuerySchema, v ?? {}, 'query');

export function checkCallId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) {
    throw new CallStoreValidationError('invalid call id: expected a non-empty string of at most 128 characters');
  }
  return value;
}

export function checkTurnSeq(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new CallStoreValidationError('invalid turn seq: expected a non-negative integer');
  }
  return value as number;
}

/**
 * Hand-checked (not zod) because it runs for every timeline event on the media path.
 * Returns the event time, defaulting to `now`.
 */
export function checkEvent(type: unknown, at: unknown, data: unknown, now: number): number {
  if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
    throw new CallStoreValidationError(
      `invalid event.type: expected a lower-case name matching ${EVENT_TYPE}, got ${JSON.stringify(type)}`,
    );
  }
  if (data !== undefined && (data === null || typeof data !== 'object' || Array.isArray(data))) {
    throw new CallStoreValidationError('invalid event.data: expected a plain JSON object');
  }
  if (at === undefined) return now;
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) {
    throw new CallStoreValidationError('invalid event.at: expected epoch milliseconds');
  }
  return Math.round(at);
}
