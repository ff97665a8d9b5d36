import { z } from 'zod';
import { ID_RULES, isValidId } from './identifiers.js';
import type { CallStatus, CallUpdate } from '../store/call-store.js';

/**
 * Exotel's StatusCallback body (protocol spec §8), from JSON, form or multipart: field names TitleCase,
 * numbers as strings or numbers, `Legs` as a JSON array, a JSON string, or bracket keys (`Legs[0][Status]`).
 */
const scalar = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
// Exotel sends JSON nulls (and empty form values) for fields without a value yet.
const optionalScalar = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined ? undefined : String(v).trim()))
  .transform((v) => (v === '' || v === 'null' ? undefined : v));

const legSchema = z.record(z.string(), z.unknown());

const callbackSchema = z.object({
  CallSid: scalar.pipe(z.string().refine((v) => isValidId('callSid', v), `must be an Exotel CallSid (${ID_RULES.callSid.describe})`)),
  Status: optionalScalar,
  EventType: optionalScalar,
  DateUpdated: optionalScalar,
  DateCreated: optionalScalar,
  StartTime: optionalScalar,
  EndTime: optionalScalar,
  RecordingUrl: optionalScalar.pipe(z.string().url().max(2048).optional()),
  ConversationDuration: optionalScalar.pipe(
    z
      .string()
      .regex(/^\d{1,9}$/, 'must be whole seconds')
      .transform(Number)
      .optional(),
  ),
  Direction: optionalScalar,
  CustomField: optionalScalar,
  From: optionalScalar,
  To: optionalScalar,
  PhoneNumberSid: optionalScalar,
  Legs: z.array(legSchema).max(10).optional(),
});

export type StatusCallback = z.output<typeof callbackSchema>;

/** Folds `Legs[0][Status]=…` form keys and a JSON-string `Legs` into an array. */
function normaliseLegs(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const legs: Record<string, unknown>[] = [];
  for (const [key, value] of Object.entries(body)) {
    const m = /^Legs\[(\d{1,2})\]\[([A-Za-z]+)\]$/.exec(key);
    if (m) (legs[Number(m[1])] ??= {})[m[2]] = value;
    else out[key] = value;
  }
  if (typeof out.Legs === 'string') {
    try {
      out.Legs = JSON.parse(out.Legs);
    } catch {
      // left as is: validation reports it
    }
  }
  if (legs.length > 0 && out.Legs === undefined) out.Legs = legs.filter(Boolean);
  return out;
}

export function parseStatusCallback(body: unknown): { ok: true; value: StatusCallback } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'body must be a JSON object or a form' };
  const parsed = callbackSchema.safeParse(normaliseLegs(body as Record<string, unknown>));
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  return { ok: true, value: parsed.data };
}

/** Exotel's "YYYY-MM-DD HH:mm:ss" is India time; ISO strings carry their own zone. */
export function parseExotelTime(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(v);
  const t = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+05:30`) : Date.parse(v);
  return Number.isNaN(t) || t < Date.UTC(2000, 0, 1) ? undefined : t;
}

const TERMINAL: Record<string, CallStatus> = {
  completed: 'completed',
  failed: 'failed',
  busy: 'busy',
  'no-answer': 'no-answer',
  canceled: 'canceled',
  cancelled: 'canceled',
};

/** What a callback means for the call record. Status only ever moves forward (the store enforces it). */
export function statusCallbackUpdate(cb: StatusCallback): CallUpdate {
  const event = cb.EventType?.toLowerCase();
  const status = cb.Status?.toLowerCase();
  const update: CallUpdate = {
    ...(cb.Status ? { exotelStatus: cb.Status } : {}),
    ...(cb.RecordingUrl ? { recordingUrl: cb.RecordingUrl } : {}),
    ...(cb.Legs ? { exotelLegs: cb.Legs } : {}),
  };
  const details: Record<string, unknown> = {};
  for (const k of ['ConversationDuration', 'Direction', 'DateCreated', 'StartTime', 'EndTime', 'PhoneNumberSid'] as const) {
    if (cb[k] !== undefined) details[k] = cb[k];
  }
  if (Object.keys(details).length > 0) update.exotelDetails = details;
  if (event === 'answered') {
    update.status = 'in-progress';
    const at = parseExotelTime(cb.StartTime) ?? parseExotelTime(cb.DateUpdated);
    if (at) update.answeredAt = at;
  } else if (event === 'ringing') {
    update.status = 'ringing';
  } else if (status && TERMINAL[status]) {
    // EventType terminal, or a plain callback (Exotel's default fires only at the end).
    update.status = TERMINAL[status];
    const at = parseExotelTime(cb.EndTime) ?? parseExotelTime(cb.DateUpdated);
    if (at) update.endedAt = at;
  }
  return update;
}
