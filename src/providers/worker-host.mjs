// Worker side of WorkerPool (plain JS so workers start without the tsx loader).
// The pool sends one job at a time per worker; `handle(payload)` returns `{ result, transfer? }`
// or throws an Error, optionally with `code` (a ProviderErrorCode) and `details`.
//
// Every reply carries the worker's memory (its own V8 heap, and the engine's WebAssembly memory as
// `wasmBytes()` reports it), so the pool can expose it and recycle a worker whose memory has grown.
import { parentPort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';

export function serve(handle, { wasmBytes = () => 0 } = {}) {
  const memory = () => {
    const heap = getHeapStatistics();
    return { wasmBytes: wasmBytes(), heapUsedBytes: heap.used_heap_size, heapTotalBytes: heap.total_heap_size, externalBytes: heap.external_memory };
  };
  parentPort.on('message', async ({ id, payload }) => {
    try {
      const { result, transfer = [] } = await handle(payload);
      parentPort.postMessage({ id, ok: true, result, memory: memory() }, transfer);
    } catch (err) {
      const error = {
        message: err instanceof Error ? err.message : String(err),
        code: (err && err.code) || 'engine-failed',
        details: err && err.details,
      };
      parentPort.postMessage({ id, ok: false, error, memory: memory() });
    }
  });
  // Workers call serve() once their engine has loaded: from now on jobs run without a load wait.
  parentPort.postMessage({ ready: true });
}

/** An Error the pool turns into a ProviderError with this code. */
export function providerError(code, message, details) {
  return Object.assign(new Error(message), { code, details });
}
