// Errors speech providers throw. Aborts are not ProviderErrors: they reject with the signal's reason.

export type ProviderErrorCode =
  | 'invalid-input' // empty/oversized text, bad sample rate, empty grammar, ...
  | 'unknown-voice'
  | 'unsupported-language'
  | 'out-of-vocabulary' // grammar words the recognizer's dictionary lacks
  | 'queue-full' // the worker pool's queue is at its bound: shed load instead of piling up latency
  | 'engine-failed' // the WASM engine reported an error or its worker died
  | 'closed'; // the pool was closed

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
