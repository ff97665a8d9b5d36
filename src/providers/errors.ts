// Errors speech providers throw. Aborts are not ProviderErrors: they reject with the signal's reason.

export type ProviderErrorCode =
  | 'invalid-input' // empty/oversized text, bad sample rate, empty grammar, ...
  | 'unknown-voice'
  | 'unsupported-language'
  | 'out-of-vocabulary' // grammar words the recognizer's dictionary lacks
  | 'queue-full' // the worker pool's queue is at its bound: shed load instead of piling up latency
  | 'engine-failed' // the WASM engine reported an error or its worker died
  | 'closed' // the pool was closed
  // Cloud providers:
  | 'unauthorized' // 401/403: a wrong or missing key; retrying will not help
  | 'rate-limited' // 429; `details.retryAfterSec` when the provider said
  | 'timeout' // no first byte / no answer in time
  | 'connection-lost' // the socket or stream broke mid-way
  | 'server' // 5xx
  | 'bad-response'; // an answer we cannot understand

/** Whether trying the same request once more can help (the conversation retries once where safe). */
export function isRetryable(err: unknown): boolean {
  return err instanceof ProviderError && ['timeout', 'connection-lost', 'server', 'rate-limited'].includes(err.code);
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The reason an aborted signal carries (an `AbortError` DOMException unless the aborter gave one). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
