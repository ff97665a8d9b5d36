// Prometheus view of a CallStore, read from stats() and health() when scraped (nothing on the write path).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CallStore } from './call-store.js';

export function registerStoreMetrics(registry: Registry, store: CallStore): void {
  if (registry.getSingleMetric('exovoice_store_write_failures_total')) return; // one store per registry
  new Counter({
    name: 'exovoice_store_write_failures_total',
    help: 'Failed call-record write attempts, by kind (full, locked, closed, io: the database refused writes and they are retried; refused: one write rejected and dropped)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of Object.entries(store.stats().writeFailures)) this.inc({ kind }, n);
    },
  });
  new Counter({
    name: 'exovoice_store_dropped_writes_total',
    help: 'Call-record writes given up on, by reason (overflow: the pending queue outgrew its bound while the database failed)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const s = store.stats();
      this.reset();
      this.inc({ reason: 'overflow' }, s.overflowDroppedOps);
      this.inc({ reason: 'other' }, s.droppedOps - s.overflowDroppedOps);
    },
  });
  new Gauge({
    name: 'exovoice_store_pending_writes',
    help: 'Call-record writes accepted but not yet durable',
    registers: [registry],
    collect() {
      this.set(store.stats().pendingOps);
    },
  });
  new Gauge({
    name: 'exovoice_store_degraded',
    help: '1 while the call-record database refuses writes',
    registers: [registry],
    collect() {
      this.set(store.health().status === 'degraded' ? 1 : 0);
    },
  });
}
