// A process's resident memory split the way the kernel counts it (/proc/<pid>/status), for benches
// that look for what grows: anonymous memory (heaps, WASM memories, malloc arenas) vs file-backed
// pages (mapped code, the SQLite file) vs shared memory.
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  rssMB: number;
  rssAnonMB: number;
  rssFileMB: number;
  rssShmemMB: number;
  /** Threads of the process (the main thread, libuv's pool, V8's helpers, one per worker thread and its helpers). */
  threads: number;
}

export function processMemory(pid: number | 'self' = 'self'): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kB = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status);
    return m ? Math.round((Number(m[1]) * 1024) / 1e5) / 10 : NaN; // MB, as the soak's other figures
  };
  const threads = /^Threads:\s+(\d+)/m.exec(status);
  return {
    rssMB: kB('VmRSS'),
    rssAnonMB: kB('RssAnon'),
    rssFileMB: kB('RssFile'),
    rssShmemMB: kB('RssShmem'),
    threads: threads ? Number(threads[1]) : NaN,
  };
}

export const mb = (bytes: number | undefined): number | null => (bytes === undefined ? null : Math.round(bytes / 1e5) / 10);
