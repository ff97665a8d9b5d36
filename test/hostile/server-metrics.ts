// The server's own figures, read from its Prometheus text (prom-client default metrics, prefix exovoice_process_).

export interface ServerMetrics {
  /** Event-loop delay max / p99 since the previous scrape (prom-client resets its histogram per scrape), ms. */
  eldMaxMs: number;
  eldP99Ms: number;
  activeCalls: number;
  openFds: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

export function parseMetrics(text: string): ServerMetrics {
  const get = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([-+0-9.eE]+|NaN)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return {
    eldMaxMs: get('exovoice_process_nodejs_eventloop_lag_max_seconds') * 1000,
    eldP99Ms: get('exovoice_process_nodejs_eventloop_lag_p99_seconds') * 1000,
    activeCalls: get('exovoice_active_calls'),
    openFds: get('exovoice_process_process_open_fds'),
    rssBytes: get('exovoice_process_process_resident_memory_bytes'),
    heapUsedBytes: get('exovoice_process_nodejs_heap_size_used_bytes'),
    heapTotalBytes: get('exovoice_process_nodejs_heap_size_total_bytes'),
    externalBytes: get('exovoice_process_nodejs_external_memory_bytes'),
    arrayBuffersBytes: get('exovoice_process_nodejs_array_buffers_bytes'),
  };
}

/** The values of a metric with one label, by that label's value (e.g. `exovoice_worker_wasm_bytes` by `pool`). */
export function metricByLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${name}\\{${label}="([^"]*)"\\} ([-+0-9.eE]+)$`, 'gm');
  for (const m of text.matchAll(re)) out[m[1]!] = Number(m[2]);
  return out;
}
