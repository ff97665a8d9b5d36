// Worker side of WorkerPool (plain JS so workers start without the tsx loader).
// The pool sends one job at a time per worker; `handle(payload)` returns `{ result, transfer? }`
// or throws an Error, optionally with `code` (a ProviderErrorCode) and `details`.
import { parentPort } from 'node:worker_threads';

export function serve(handle) {
  parentPort.on('message', async ({ id, payload }) => {
    try {
      const { result, transfer = [] } = await handle(payload);
      parentPort.postMessage({ id, ok: true, result }, transfer);
    } catch (err) {
      const error = {
        message: err instanceof Error ? err.message : String(err),
        code: (err && err.code) || 'engine-failed',
        details: err && err.details,
      };
      parentPort.postMessage({ id, ok: false, error });
    }
  });
}

/** An Error the pool turns into a ProviderError with this code. */
export function providerError(code, message, details) {
  return Object.assign(new Error(message), { code, details });
}
