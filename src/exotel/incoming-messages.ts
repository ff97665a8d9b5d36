/**
 * Decodes Exotel -> bot WebSocket messages. Parse liberally (protocol spec §3, §13): snake_case and camelCase
 * keys, strings or numbers, optional fields; everything that is not understood becomes a typed rejection the
 * session counts, never an exception.
 */

import { enforceJsonLimits, isPollutingKey, JsonLimitError, type JsonLimitReason, type JsonLimits } from '../limits/bounded-json.js';
import { logSafe } from './identifiers.js';

/** Larger messages close the socket with 1009 (ws `maxPayload`); Exotel's largest real ones are ~140 KB of media. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * One message, custom_parameters aside. Real messages nest 3 deep (`msg.start.media_format`), carry under 10
 * keys per object and no arrays; the one long string is `media.payload`, bounded by the message size.
 */
export const MESSAGE_LIMITS: JsonLimits = {
  maxBytes: MAX_MESSAGE_BYTES,
  maxDepth: 8,
  maxKeys: 64,
  maxItems: 64,
  maxStringLength: MAX_MESSAGE_BYTES,
};

/**
 * `start.custom_parameters`: Exotel passes at most 3 pairs in 256 characters (spec §2); other paths and
 * simulators pass more, so these are generous, but one call's parameters stay small in logs and records.
 * Over a limit, the offending entries are dropped (and reported), never the call.
 */
export const CUSTOM_PARAMETER_LIMITS = {
  /** Entries kept; later ones are dropped. */
  maxKeys: 64,
  /** Longest key, in UTF-16 units. */
  maxKeyLength: 256,
  /** Longest value (a nested value counts as its JSON text), in UTF-16 units. */
  maxValueLength: 2048,
  /** The custom_parameters object is depth 1, so a value may nest 3 more levels. */
  maxDepth: 4,
  /** A custom_parameters string (query or JSON text) longer than this is dropped whole. */
  maxTextLength: 64 * 1024,
} as const;

export type InboundMessage =
  | { event: 'connected' }
  | {
      event: 'start';
      seq?: number;
      streamSid?: string;
      callSid?: string;
      accountSid?: string;
      from?: string;
      to?: string;
      customParameters: Record<string, string>;
      /** Present only when custom_parameters entries were over a limit and dropped. */
      customParametersDropped?: CustomParametersDropped;
      sampleRate?: number;
    }
  /** `payload` is PCM16LE; it may be a view into a scratch buffer that the next message overwrites. */
  | { event: 'media'; seq?: number; chunk?: number; timestampMs?: number; payload: Buffer }
  | { event: 'dtmf'; seq?: number; digit: string; durationMs?: number }
  | { event: 'mark'; seq?: number; name: string }
  | { event: 'stop'; seq?: number; callSid?: string; reason?: string }
  | { event: 'clear' };

export type RejectReason =
  | 'binary-frame'
  | 'too-large'
  | 'not-json'
  | 'not-object'
  | 'unknown-event'
  | 'media-without-payload'
  | 'invalid-base64'
  | 'odd-length-payload'
  | 'dtmf-without-digit'
  | 'mark-without-name'
  | 'too-deep'
  | 'too-many-keys'
  | 'too-many-items'
  | 'string-too-long'
  | 'custom-parameters-trimmed';

/** Bounded-JSON failures as bad-message reasons (a fixed set: they become metric labels). */
const LIMIT_REASONS: Record<JsonLimitReason, RejectReason> = {
  size: 'too-large',
  syntax: 'not-json',
  depth: 'too-deep',
  keys: 'too-many-keys',
  items: 'too-many-items',
  string: 'string-too-long',
};

export interface CustomParametersDropped {
  /** How many entries were dropped. */
  count: number;
  /** Why, one entry each per distinct cause. */
  reasons: string[];
  /** The first few dropped keys, in log-safe form. */
  keys: string[];
}

export type ParseResult =
  | { ok: true; msg: InboundMessage; warning?: RejectReason }
  | { ok: false; reason: RejectReason; detail: string };

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function int(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : undefined;
  }
  return undefined;
}

/** "8000", 8000, "8000Hz", "8kHz", "16 khz" -> Hz; anything else -> undefined. */
export function parseSampleRate(v: unknown): number | undefined {
  const s = str(v)?.trim().toLowerCase();
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(k?)(?:hz)?$/.exec(s);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] ? 1000 : 1);
  return n === 8000 || n === 16000 || n === 24000 ? n : undefined;
}

const CP = CUSTOM_PARAMETER_LIMITS;
const VALUE_LIMITS = { maxDepth: CP.maxDepth - 1, maxKeys: CP.maxKeys, maxItems: CP.maxKeys, maxStringLength: CP.maxValueLength };

/** One value as a string within the limits, or why not. Nested values become their (bounded) JSON text. */
function customValue(val: unknown): { ok: true; value: string } | { ok: false; reason: string } {
  if (val == null) return { ok: true, value: '' };
  const scalar = str(val);
  if (scalar !== undefined || typeof val !== 'object') {
    const value = scalar ?? String(val);
    return value.length > CP.maxValueLength ? { ok: false, reason: 'value-too-long' } : { ok: true, value };
  }
  try {
    // Bounded first: JSON.stringify recurses, and a 10,000-deep value would overflow the stack.
    enforceJsonLimits(val, VALUE_LIMITS);
  } catch (err) {
    if (err instanceof JsonLimitError) return { ok: false, reason: err.reason === 'depth' ? 'too-deep' : err.reason === 'string' ? 'value-too-long' : 'too-many-keys' };
    throw err;
  }
  const value = JSON.stringify(val);
  return value.length > CP.maxValueLength ? { ok: false, reason: 'value-too-long' } : { ok: true, value };
}

/** custom_parameters as an object, a JSON string or a query string, within CUSTOM_PARAMETER_LIMITS. */
function customParameters(v: unknown): { params: Record<string, string>; dropped?: CustomParametersDropped } {
  const params: Record<string, string> = {};
  const reasons = new Set<string>();
  const keys: string[] = [];
  let count = 0;
  const drop = (key: string | undefined, reason: string, n = 1) => {
    count += n;
    reasons.add(reason);
    if (key !== undefined && keys.length < 8) keys.push(logSafe(key, 32));
  };
  let entries: Iterable<[string, unknown]> = [];
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.length > CP.maxTextLength) drop(undefined, 'text-too-long');
    else if (t.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(t);
      } catch {
        drop(undefined, 'not-json');
      }
      if (isObj(parsed)) entries = Object.entries(parsed);
    } else entries = new URLSearchParams(t);
  } else if (isObj(v)) entries = Object.entries(v);
  let kept = 0;
  let overflow = 0;
  for (const [k, val] of entries) {
    if (kept >= CP.maxKeys) {
      if (overflow++ < 8) drop(k, 'too-many-keys');
      else count++;
      continue;
    }
    // Never merged: the result is a plain object, where `__proto__` would set its prototype.
    if (isPollutingKey(k)) {
      drop(k, 'reserved-key');
      continue;
    }
    if (k.length > CP.maxKeyLength) {
      drop(k, 'key-too-long');
      continue;
    }
    const r = customValue(val);
    if (!r.ok) {
      drop(k, r.reason);
      continue;
    }
    params[k] = r.value;
    kept++;
  }
  return count === 0 ? { params } : { params, dropped: { count, reasons: [...reasons], keys } };
}

function seqOf(m: Obj): number | undefined {
  return int(m.sequence_number ?? m.sequenceNumber);
}

/**
 * Base64 into `scratch` (grown when too small), rejecting characters Node's decoder would silently skip:
 * valid input decodes to exactly 3/4 of its unpadded length.
 */
function decodePayload(payload: string, scratch: { buf: Buffer }): Buffer | undefined {
  let len = payload.length;
  while (len > 0 && payload.charCodeAt(len - 1) === 61 /* = */) len--;
  const expected = Math.floor((len * 3) / 4);
  if (scratch.buf.length < expected) scratch.buf = Buffer.allocUnsafeSlow(Math.max(expected, scratch.buf.length * 2));
  const written = scratch.buf.write(payload, 0, 'base64');
  if (written !== expected || len % 4 === 1) return undefined;
  return scratch.buf.subarray(0, written);
}

export interface ParseScratch {
  buf: Buffer;
}

export function createParseScratch(): ParseScratch {
  // Own ArrayBuffer at offset 0, so payload views can be read as Int16Array without copying.
  return { buf: Buffer.allocUnsafeSlow(4096) };
}

export function parseInbound(data: Buffer | string, isBinary: boolean, scratch: ParseScratch): ParseResult {
  if (isBinary) return { ok: false, reason: 'binary-frame', detail: 'Exotel sends JSON text frames only' };
  if (data.length > MAX_MESSAGE_BYTES) return { ok: false, reason: 'too-large', detail: `${data.length} bytes` };
  let m: unknown;
  try {
    // V8's JSON.parse is iterative, so deep input cannot overflow here; the limits are checked right after.
    m = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json', detail: 'message is not JSON' };
  }
  if (!isObj(m)) return { ok: false, reason: 'not-object', detail: 'message is not a JSON object' };
  // custom_parameters have limits of their own that trim entries rather than drop the call's start.
  let rawCustom: unknown;
  if (isObj(m.start)) {
    rawCustom = m.start.custom_parameters ?? m.start.customParameters;
    delete m.start.custom_parameters;
    delete m.start.customParameters;
  }
  try {
    enforceJsonLimits(m, MESSAGE_LIMITS);
  } catch (err) {
    if (err instanceof JsonLimitError) return { ok: false, reason: LIMIT_REASONS[err.reason], detail: logSafe(err.message, 120) };
    throw err;
  }
  const event = str(m.event)?.toLowerCase();
  switch (event) {
    case 'connected':
      return { ok: true, msg: { event: 'connected' } };
    case 'start': {
      const s: Obj = isObj(m.start) ? m.start : {};
      const fmt: Obj = isObj(s.media_format) ? s.media_format : isObj(s.mediaFormat) ? s.mediaFormat : {};
      const custom = customParameters(rawCustom);
      const start: InboundMessage = {
        event: 'start',
        seq: seqOf(m),
        streamSid: str(s.stream_sid ?? s.streamSid ?? m.stream_sid ?? m.streamSid),
        callSid: str(s.call_sid ?? s.callSid ?? s.leg_sid),
        accountSid: str(s.account_sid ?? s.accountSid),
        from: str(s.from),
        to: str(s.to),
        customParameters: custom.params,
        ...(custom.dropped ? { customParametersDropped: custom.dropped } : {}),
        sampleRate: parseSampleRate(fmt.sample_rate ?? fmt.sampleRate),
      };
      return custom.dropped ? { ok: true, msg: start, warning: 'custom-parameters-trimmed' } : { ok: true, msg: start };
    }
    case 'media': {
      const media: Obj = isObj(m.media) ? m.media : {};
      const payload = media.payload;
      if (typeof payload !== 'string' || payload.length === 0) {
        return { ok: false, reason: 'media-without-payload', detail: 'media.payload missing or empty' };
      }
      const decoded = decodePayload(payload, scratch);
      if (!decoded) return { ok: false, reason: 'invalid-base64', detail: 'media.payload is not valid base64' };
      const msg = {
        event: 'media' as const,
        seq: seqOf(m) ?? int(media.sequenceNumber),
        chunk: int(media.chunk),
        timestampMs: int(media.timestamp),
        payload: decoded,
      };
      if (decoded.length % 2 === 1) {
        // Keep the whole samples; a stray byte cannot be a PCM16 sample.
        msg.payload = decoded.subarray(0, decoded.length - 1);
        return { ok: true, msg, warning: 'odd-length-payload' };
      }
      return { ok: true, msg };
    }
    case 'dtmf': {
      const d: Obj = isObj(m.dtmf) ? m.dtmf : {};
      const digit = str(d.digit ?? d.digits)?.replace(/"/g, '').trim();
      if (!digit || !/^[0-9*#A-Da-d]$/.test(digit)) {
        return { ok: false, reason: 'dtmf-without-digit', detail: 'dtmf.digit missing or not a keypad key' };
      }
      return { ok: true, msg: { event: 'dtmf', seq: seqOf(m), digit: digit.toUpperCase(), durationMs: int(d.duration) } };
    }
    case 'mark': {
      const mk: Obj = isObj(m.mark) ? m.mark : {};
      const name = str(mk.name);
      if (!name) return { ok: false, reason: 'mark-without-name', detail: 'mark.name missing' };
      return { ok: true, msg: { event: 'mark', seq: seqOf(m), name } };
    }
    case 'stop': {
      const s: Obj = isObj(m.stop) ? m.stop : {};
      return {
        ok: true,
        msg: { event: 'stop', seq: seqOf(m), callSid: str(s.call_sid ?? s.callSid), reason: str(s.reason) },
      };
    }
    case 'clear':
      // Exotel never sends this; its own samples tolerate it, so do we.
      return { ok: true, msg: { event: 'clear' } };
    default:
      return { ok: false, reason: 'unknown-event', detail: `event ${logSafe(str(m.event) ?? typeof m.event, 40)}` };
  }
}
