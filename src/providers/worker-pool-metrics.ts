// Prometheus view of the process's worker pools (the offline engines), read from each pool when scraped:
// the memory outside the main thread's heap that a soak or an operator needs to see to tell a leak from a warm-up.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerPool } from './worker-pool.js';

export function registerWorkerPoolMetrics(registry: Registry, pools: () => Iterable<WorkerPool>): void {
  if (registry.getSingleMetric('exovoice_worker_wasm_bytes')) return; // once per registry
  const perPool = (name: string, help: string, value: (pool: WorkerPool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        this.reset();
        for (const pool of pools()) this.set({ pool: pool.name }, value(pool));
      },
    });
  const sum = (pool: WorkerPool, key: 'wasmBytes' | 'heapUsedBytes') => pool.workers().reduce((n, w) => n + (w[key] ?? 0), 0);
  perPool('exovoice_worker_threads', 'Worker threads running an engine, by pool', (p) => p.workers().length);
  perPool(
    'exovoice_worker_wasm_bytes',
    "The pool's workers' WebAssembly memory as each last reported it (for engines that start an instance per job: the last job's)",
    (p) => sum(p, 'wasmBytes'),
  );
  perPool('exovoice_worker_heap_used_bytes', "The pool's workers' own V8 heaps (used) as each last reported it", (p) => sum(p, 'heapUsedBytes'));
  new Counter({
    name: 'exovoice_worker_recycled_total',
    help: 'Workers replaced by a fresh one, by pool and trigger (jobs, wasm-memory, heap)',
    labelNames: ['pool', 'reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of pools()) for (const [reason, n] of Object.entries(pool.recycled())) this.inc({ pool: pool.name, reason }, n);
    },
  });
}
