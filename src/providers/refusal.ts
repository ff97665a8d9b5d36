// One reading of a provider's "no": an HTTP status (a refused request, or a refused WebSocket upgrade) or a
// WebSocket close code, turned into a ProviderError whose code says whether trying again can help
// (`isRetryable`). The provider's error body is read within MAX_REFUSAL_BODY_BYTES, parsed within small JSON
// limits, and summarised in one line with every configured secret and anything shaped like a key masked.
import type { IncomingMessage } from 'node:http';
import { tryParseBoundedJson, type JsonLimits } from '../limits/bounded-json.js';
import { ProviderError, isRetryable, type ProviderErrorCode } from './errors.js';

/** Most of an error body read; the rest is dropped unread (a page of HTML says nothing more). */
export const MAX_REFUSAL_BODY_BYTES = 4096;
/** Longest summary of a provider's message kept in ours. */
export const MAX_SUMMARY_CHARS = 300;
/** An error body is a few fields: anything bigger or deeper is not one. */
const ERROR_BODY_LIMITS: JsonLimits = { maxBytes: MAX_REFUSAL_BODY_BYTES, maxDepth: 8, maxKeys: 64, maxItems: 64, maxStringLength: MAX_REFUSAL_BODY_BYTES };
/** An upgrade refusal whose body does not end within this is summarised from what arrived. */
const BODY_READ_MS = 2000;

/**
 * The code for an HTTP status. Retryable: 408 (timeout), 425 and 5xx (server), 429 (rate-limited). Not: 401/403
 * (unauthorized), 400/404/413/422 (invalid-input: the request itself was refused), any other status (bad-response).
 */
export function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate-limited';
  // 425 Too Early: the server will take the same request once the connection is established.
  if (status === 425 || (status >= 500 && status <= 599)) return 'server';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'invalid-input';
  return 'bad-response';
}

/** Whether the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return isRetryable(new ProviderError(codeForStatus(status), ''));
}

/** Seconds to wait, from `retry-after-ms` (OpenAI) or `Retry-After` (delta-seconds or an HTTP date). */
export function retryAfterSec(header: (name: string) => string | undefined, now = Date.now()): number | undefined {
  const ms = header('retry-after-ms');
  if (ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms) / 1000;
  const value = header('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // An HTTP date names its day and month; anything else ("-3", "soon") is not one.
  if (!/^[A-Za-z]{3}, /.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** What a provider's error body says. */
export interface ErrorSummary {
  message?: string;
  /** The provider's own error code (`invalid_api_key`, `voice_not_found`, ...). */
  providerCode?: string;
  /** OpenAI's error `type`. */
  type?: string;
  /** Overrides the code a non-retryable 4xx status maps to (e.g. unknown-voice). */
  code?: ProviderErrorCode;
}

/** A provider-specific reading of a JSON error body; undefined to fall back to the common shapes. */
export type ErrorBodyReader = (json: unknown) => ErrorSummary | undefined;

/**
 * The common error body shapes: OpenAI's `{error: {message, type, code}}`, `{error: "text"}`, vLLM's
 * `{object: "error", message}`, FastAPI's `{detail: ...}` (ElevenLabs), Deepgram's `{err_code, err_msg}` and a
 * bare `{message, code}`.
 */
export function commonErrorFields(json: unknown): ErrorSummary | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
  const codeOf = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
  const pick = (e: Record<string, unknown>): ErrorSummary => ({ message: str(e.message), type: str(e.type), providerCode: codeOf(e.code) });
  if (typeof o.error === 'string') return { message: o.error };
  if (o.error && typeof o.error === 'object') return pick(o.error as Record<string, unknown>);
  if (o.object === 'error') return pick(o);
  if (typeof o.detail === 'string') return { message: o.detail };
  if (o.detail && typeof o.detail === 'object') {
    if (Array.isArray(o.detail)) {
      const parts = o.detail.flatMap((d) => {
        const item = d && typeof d === 'object' ? (d as Record<string, unknown>) : {};
        const loc = Array.isArray(item.loc) ? item.loc.join('.') : '';
        return str(item.msg) ? [loc ? `${loc}: ${item.msg as string}` : (item.msg as string)] : [];
      });
      return { message: parts.join('; ') || undefined };
    }
    const d = o.detail as Record<string, unknown>;
    const providerCode = str(d.status) ?? str(d.code);
    return { message: [providerCode, str(d.message)].filter(Boolean).join(': ') || undefined, providerCode };
  }
  if (str(o.err_msg) || str(o.err_code)) return { message: str(o.err_msg), providerCode: str(o.err_code) };
  if (str(o.message)) return { message: str(o.message), providerCode: codeOf(o.code) };
  return undefined;
}

/** Reads an error body: JSON (within small limits) through `reader`, else the common shapes, else the text itself. */
export function summarizeErrorBody(text: string, reader?: ErrorBodyReader): ErrorSummary {
  const trimmed = text.trim();
  if (!trimmed) return {};
  const parsed = tryParseBoundedJson(trimmed, ERROR_BODY_LIMITS);
  if (parsed.ok) {
    const summary = reader?.(parsed.value) ?? commonErrorFields(parsed.value);
    if (summary) return summary;
  }
  // Not JSON (or an unknown shape): the first line of text, never a page of markup.
  if (/^\s*</.test(trimmed)) return {};
  return { message: trimmed.split(/\r?\n/, 1)[0] };
}

/** Masks the configured secrets and anything shaped like a key or bearer token (long, with a digit: not a word), and clips to `max` chars. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[], max = MAX_SUMMARY_CHARS): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  // Providers echo a partly masked key ("sk-ab***wxyz"): even its visible ends are not ours to log.
  out = out.replace(/\bsk[-_][\w*-]{3,}/g, 'sk-***').replace(/\b(Bearer|Token)\s+(?!\*\*\*)(?=[\w.~+/=-]*\d)[\w.~+/=-]{12,}/g, '$1 ***');
  return out.length <= max ? out : `${out.slice(0, max)}…`;
}

export interface Refusal {
  /** Names the provider (or its masked URL) at the start of the message. */
  provider: string;
  status: number;
  statusText?: string;
  /** A response header, by lower-case name. */
  header(name: string): string | undefined;
  /** The error body, already capped (readResponseText / readIncomingText). */
  body: string;
  /** Scrubbed from the message wherever they appear. */
  secrets: readonly (string | undefined)[];
  reader?: ErrorBodyReader;
  /** A message the provider put in a header (Deepgram's `dg-error`); preferred over the body's. */
  headerMessage?: string;
  /** Header carrying the provider's request id, kept in details for support tickets. */
  requestIdHeader?: string;
}

/** The ProviderError for a refused request or upgrade. `details`: status, providerCode, type, requestId, retryAfterSec. */
export function refusalError(r: Refusal): ProviderError {
  const summary = summarizeErrorBody(r.body, r.reader);
  let code = codeForStatus(r.status);
  if (summary.code && !isRetryable(new ProviderError(code, '')) && code !== 'unauthorized') code = summary.code;
  const details: Record<string, unknown> = { status: r.status };
  if (summary.providerCode) details.providerCode = summary.providerCode;
  if (summary.type) details.type = summary.type;
  const requestId = r.requestIdHeader ? r.header(r.requestIdHeader) : undefined;
  if (requestId) details.requestId = requestId;
  if (isRetryable(new ProviderError(code, ''))) {
    const wait = retryAfterSec(r.header);
    if (wait !== undefined) details.retryAfterSec = wait;
  }
  const said = r.headerMessage || summary.message || r.statusText;
  const message = `${r.provider} answered HTTP ${r.status}${said ? `: ${redactSecrets(said, r.secrets)}` : ''}`;
  return new ProviderError(code, message, details);
}

/** A fetch Response's body as text, at most `cap` bytes; the rest is cancelled unread. */
export async function readResponseText(res: Response, cap = MAX_REFUSAL_BODY_BYTES): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < cap) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value.subarray(0, cap - total);
      chunks.push(part);
      total += part.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  // A multi-byte character cut at the cap decodes to U+FFFD: harmless in a summary.
  return Buffer.concat(chunks, total).toString('utf8');
}

/** The body of a refused WebSocket upgrade, at most `cap` bytes and `timeoutMs`; the response is then destroyed. */
export function readIncomingText(res: IncomingMessage, cap = MAX_REFUSAL_BODY_BYTES, timeoutMs = BODY_READ_MS): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const done = () => {
      clearTimeout(timer);
      res.removeAllListeners('data');
      res.destroy();
      resolve(Buffer.concat(chunks, total).toString('utf8'));
    };
    const timer = setTimeout(done, timeoutMs);
    res.on('data', (chunk: Buffer) => {
      const part = chunk.subarray(0, cap - total);
      chunks.push(part);
      total += part.length;
      if (total >= cap) done();
    });
    res.once('end', done);
    res.once('close', done);
    res.once('error', done);
  });
}

/** Options for `upgradeRefusal`. */
export type UpgradeRefusal = Omit<Refusal, 'status' | 'statusText' | 'header' | 'body'>;

/** The ProviderError for a WebSocket upgrade answered with an HTTP status instead of 101. */
export async function upgradeRefusal(res: IncomingMessage, options: UpgradeRefusal): Promise<ProviderError> {
  const header = (name: string): string | undefined => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const body = await readIncomingText(res);
  return refusalError({ ...options, status: res.statusCode ?? 0, statusText: res.statusMessage, header, body });
}

/**
 * The ProviderError for a WebSocket the provider closed without being asked. 1008 (policy violation: Deepgram's
 * undecodable audio) and 1009 (message too big) refuse what we sent: invalid-input, not retryable. Every other code
 * (1001 going away, 1006 no close frame, 1011 server error, 1012/1013 restart / try later, 4xxx application codes)
 * is a lost connection a new one may not share.
 */
export function closeError(provider: string, code: number, reason: string, details: Record<string, unknown> = {}): ProviderError {
  const why = reason ? `${code} ${redactSecrets(reason, [], 123)}` : String(code);
  const all = { closeCode: code, reason, ...details };
  if (code === 1008 || code === 1009) return new ProviderError('invalid-input', `${provider} refused what it was sent and closed (${why})`, all);
  return new ProviderError('connection-lost', `${provider} dropped the connection (${why})`, all);
}
