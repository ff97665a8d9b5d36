// Identifiers that arrive from outside (Exotel's webhook and stream, our own URLs, API clients) and end up in
// registry keys, store rows, log lines and URLs. One place says what each may look like, so a hostile value is
// refused at the edge instead of being escaped (or not) everywhere it travels.
//
// Real formats (protocol spec §3.3, §7.3): Exotel's CallSid and stream_sid are 32 lowercase hex characters;
// Exotel's samples also invent their own stream ids, and our generated ids are `gen-<hex>`, `anon-<hex>` or
// UUIDs. The limits below accept all of these with room to spare, and nothing that can break a log line, a URL
// or a file path (no whitespace, control characters, quotes, slashes or `%`).

export type IdKind = 'callSid' | 'callId' | 'streamSid' | 'callLogId' | 'agentName';

export interface IdRule {
  readonly pattern: RegExp;
  readonly maxLength: number;
  /** For error answers: what the identifier may contain. */
  readonly describe: string;
}

const SID = /^[A-Za-z0-9_.:-]+$/;
const SID_TEXT = 'letters, digits, "_", "-", "." or ":"';

export const ID_RULES: Readonly<Record<IdKind, IdRule>> = {
  /** Exotel's CallSid (webhook `CallSid`, `start.call_sid`, status callbacks). The webhook accepted 128 before. */
  callSid: { pattern: SID, maxLength: 128, describe: `1-128 ${SID_TEXT}` },
  /** `call_id` on the media WebSocket URL: the CallSid, or the record id the dialler put there. */
  callId: { pattern: SID, maxLength: 128, describe: `1-128 ${SID_TEXT}` },
  /** Exotel's `stream_sid`. */
  streamSid: { pattern: SID, maxLength: 128, describe: `1-128 ${SID_TEXT}` },
  /** A client's idempotency key on POST /call (the dialler accepted 64 before). */
  callLogId: { pattern: SID, maxLength: 64, describe: `1-64 ${SID_TEXT}` },
  /** Agent names from URLs and custom parameters; definitions use a subset ([a-z][a-z0-9-]*). */
  agentName: { pattern: /^[A-Za-z0-9_-]+$/, maxLength: 64, describe: '1-64 letters, digits, "_" or "-"' },
};

export type IdCheck = { ok: true; value: string } | { ok: false; reason: 'missing' | 'too-long' | 'bad-characters'; message: string };

/** Checks one identifier. Empty strings and non-strings are `missing`. */
export function checkId(kind: IdKind, value: unknown): IdCheck {
  const rule = ID_RULES[kind];
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: 'missing', message: `${kind} is missing` };
  if (value.length > rule.maxLength) return { ok: false, reason: 'too-long', message: `${kind} must be ${rule.describe}` };
  if (!rule.pattern.test(value)) return { ok: false, reason: 'bad-characters', message: `${kind} must be ${rule.describe}` };
  return { ok: true, value };
}

export function isValidId(kind: IdKind, value: unknown): value is string {
  return checkId(kind, value).ok;
}

/**
 * A form of any outside value that is safe in a log line: printable ASCII kept, everything else (control
 * characters, CR/LF, NUL, non-ASCII, backslash) escaped as `\xHH` / `\uHHHH`, cut to `max` characters. For
 * logging identifiers that failed `checkId`; valid ones are already safe.
 */
export function logSafe(value: unknown, max = 64): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : String(value);
  let out = '';
  let i = 0;
  for (; i < text.length && out.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x5c) out += text[i];
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return i < text.length || out.length > max ? `${out.slice(0, max)}…(${text.length})` : out;
}
