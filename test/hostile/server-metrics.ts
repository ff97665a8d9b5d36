// The server's own figures, read from its Prometheus text (prom-client default metrics, prefix exovoice_process_).

export interface ServerMetrics {
  /** Event-loop delay max / p99 since the previous scrape (prom-client resets its histogram per scrape), ms. */
  eldMaxMs: number;
  eldP99Ms: number;
  activeCalls: number;
  openFds: number;
  rssBytes: number;
  heapUsedBytes: number;
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
  };
}
