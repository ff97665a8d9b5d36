/**
 * What can go wrong talking to Exotel's REST API, as typed errors: each failure gets a kind that says
 * whether Exotel may have seen the request, and so whether repeating it is safe.
 */

export type ExotelErrorKind =
  /** Our own check refused the request; nothing was sent. */
  | 'invalid-request'
  /** Exotel answered 4xx (400 bad parameters, 401 credentials, 403 not enabled, 404 unknown resource). */
  | 'rejected'
  | 'rate-limited'
  /** No answer within `timeoutMs`: the request may have been acted on (a dial may have been placed). */
  | 'timeout'
  /** Connection refused or DNS failure: the request certainly did not reach Exotel. */
  | 'unreachable'
  /** The connection broke after the request was sent: outcome unknown, like a timeout. */
  | 'connection-lost'
  | 'server'
  /** Exotel answered something we do not understand (not JSON, wrong shape, a redirect). */
  | 'bad-response';

export interface ErrorExtra {
  httpStatus?: number;
  exotelMessage?: string;
  exotelCode?: string | number;
  retryAfterSec?: number;
  cause?: unknown;
}

export class ExotelApiError extends Error {
  readonly kind: ExotelErrorKind;
  readonly httpStatus: number | undefined;
  /** `RestException.Message` (or the text found in an XML/HTML error page). */
  readonly exotelMessage: string | undefined;
  readonly exotelCode: string | number | undefined;
  /** From Retry-After on a 429. */
  readonly retryAfterSec: number | undefined;
  readonly method: string;
  /** Request URL with any credentials masked. */
  readonly url: string;
  /** Requests made before giving up (2 when one retry happened). */
  readonly attempts: number;

  constructor(message: string, details: ErrorExtra & { kind: ExotelErrorKind; method: string; url: string; attempts: number }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ExotelApiError';
    this.kind = details.kind;
    this.method = details.method;
    this.url = details.url;
    this.attempts = details.attempts;
    this.httpStatus = details.httpStatus;
    this.exotelMessage = details.exotelMessage;
    this.exotelCode = details.exotelCode;
    this.retryAfterSec = details.retryAfterSec;
  }

  /** False only when Exotel certainly never saw the request; a dial that failed this way placed no call. */
  get mayHaveReachedExotel(): boolean {
    return this.kind !== 'invalid-request' && this.kind !== 'unreachable';
  }
}

/** A failure before it is dressed as an `ExotelApiError` (the client adds the request and scrubs secrets). */
export interface Failure extends ErrorExtra {
  kind: ExotelErrorKind;
  detail: string;
}

/** 'dial' requests must not be repeated once they may have reached Exotel; 'read' requests may be. */
export type RetryPolicy = 'dial' | 'read';

export function retryable(kind: ExotelErrorKind, policy: RetryPolicy): boolean {
  if (kind === 'unreachable') return true;
  // A dial that may have reached Exotel may have placed a call: repeating it could ring the customer twice.
  if (policy === 'dial') return false;
  return kind === 'timeout' || kind === 'server' || kind === 'connection-lost';
}

/** The kind for an HTTP status Exotel reported (in the status line, or inside a 2xx RestException). */
export function kindForStatus(httpStatus: number): ExotelErrorKind {
  if (httpStatus === 429) return 'rate-limited';
  if (httpStatus >= 500) return 'server';
  if (httpStatus >= 400) return 'rejected';
  return 'bad-response';
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * A `fetch` that threw: before the answer ('request') only a refused connection proves the request never
 * left; anything else after sending leaves the outcome unknown.
 */
export function transportFailure(err: unknown, phase: 'request' | 'answer', timedOutAfterMs: number | undefined): Failure {
  if (timedOutAfterMs !== undefined) return { kind: 'timeout', detail: `no answer within ${timedOutAfterMs} ms`, cause: err };
  const code = errorCode(err);
  if (phase === 'request' && code !== undefined && UNREACHABLE_CODES.has(code)) {
    return { kind: 'unreachable', detail: `could not connect (${code})`, cause: err };
  }
  const when = phase === 'request' ? 'before an answer' : 'while reading the answer';
  return { kind: 'connection-lost', detail: `connection lost ${when} (${code ?? describe(err)})`, cause: err };
}

/** The system error code behind a fetch failure (undici wraps it in `cause`, sometimes in an AggregateError). */
function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown[] }).errors ?? []));
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
