/**
 * Decodes Exotel -> bot WebSocket messages. Parse liberally (protocol spec §3, §13): snake_case and camelCase
 * keys, strings or numbers, optional fields; everything that is not understood becomes a typed rejection the
 * session counts, never an exception.
 */

export const MAX_MESSAGE_BYTES = 1024 * 1024;

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
  | 'mark-without-name';

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

function customParameters(v: unknown): Record<string, string> {
  let source: unknown = v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t.startsWith('{')) {
      try {
        source = JSON.parse(t);
      } catch {
        source = undefined;
      }
    } else {
      return Object.fromEntries(new URLSearchParams(t));
    }
  }
  const out: Record<string, string> = {};
  if (isObj(source)) {
    for (const [k, val] of Object.entries(source)) out[k] = str(val) ?? (val == null ? '' : JSON.stringify(val));
  }
  return out;
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
    m = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json', detail: 'message is not JSON' };
  }
  if (!isObj(m)) return { ok: false, reason: 'not-object', detail: 'message is not a JSON object' };
  const event = str(m.event)?.toLowerCase();
  switch (event) {
    case 'connected':
      return { ok: true, msg: { event: 'connected' } };
    case 'start': {
      const s: Obj = isObj(m.start) ? m.start : {};
      const fmt: Obj = isObj(s.media_format) ? s.media_format : isObj(s.mediaFormat) ? s.mediaFormat : {};
      return {
        ok: true,
        msg: {
          event: 'start',
          seq: seqOf(m),
          streamSid: str(s.stream_sid ?? s.streamSid ?? m.stream_sid ?? m.streamSid),
          callSid: str(s.call_sid ?? s.callSid ?? s.leg_sid),
          accountSid: str(s.account_sid ?? s.accountSid),
          from: str(s.from),
          to: str(s.to),
          customParameters: customParameters(s.custom_parameters ?? s.customParameters),
          sampleRate: parseSampleRate(fmt.sample_rate ?? fmt.sampleRate),
        },
      };
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
      return { ok: false, reason: 'unknown-event', detail: `event ${JSON.stringify(m.event ?? null).slice(0, 40)}` };
  }
}
