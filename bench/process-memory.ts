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
    return m ? kBToMB(Number(m[1])) : NaN;
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

/** kB as the kernel counts them to MB (10^6 bytes, one decimal), as the soak's other figures. */
const kBToMB = (kB: number): number => Math.round((kB * 1024) / 1e5) / 10;

export const mb = (bytes: number | undefined): number | null => (bytes === undefined ? null : Math.round(bytes / 1e5) / 10);

/** A process's anonymous RSS by what owns the mapping, read from /proc/<pid>/smaps. */
export interface AnonymousMemory {
  /** glibc's main arena (the brk heap): the main thread's malloc, which only shrinks from the top. */
  brkMB: number;
  /** glibc's other arenas (64 MB-aligned heaps), used by threads: workers, V8's and libuv's helpers. */
  arenasMB: number;
  /** WebAssembly memories: V8 reserves GBs of PROT_NONE guard beside each one. */
  wasmMB: number;
  /** Everything else: V8 heap pages, thread stacks, mmap'd mallocs (>= MALLOC_MMAP_THRESHOLD_). */
  otherMB: number;
}

const ARENA_BYTES = 64n << 20n;
const WASM_GUARD_BYTES = 2n << 30n;

export function anonymousMemory(pid: number | 'self' = 'self'): AnonymousMemory {
  interface Mapping { start: bigint; end: bigint; perms: string; name: string; rssKB: number }
  const maps: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3], name: head[4], rssKB: 0 });
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length > 0) maps[maps.length - 1].rssKB = Number(rss[1]);
  }
  const kB = { brkMB: 0, arenasMB: 0, wasmMB: 0, otherMB: 0 };
  const reserved = (m: Mapping | undefined): m is Mapping => m !== undefined && m.name === '' && m.perms.startsWith('---');
  const guard = (m: Mapping | undefined) => reserved(m) && m.end - m.start >= WASM_GUARD_BYTES;
  maps.forEach((m, i) => {
    const next = maps[i + 1];
    // An arena's heap: 64 MB-aligned, read-write up to what it uses, the rest of its 64 MB reserved (none once full).
    const arenaEnd = reserved(next) && next.start === m.end ? next.end : m.end;
    if (m.name === '[heap]') kB.brkMB += m.rssKB;
    else if (m.name !== '') return; // files, stacks named by the kernel, vdso
    else if (guard(maps[i - 1]) || guard(next)) kB.wasmMB += m.rssKB;
    else if (m.start % ARENA_BYTES === 0n && m.perms.startsWith('rw') && arenaEnd - m.start === ARENA_BYTES) kB.arenasMB += m.rssKB;
    else kB.otherMB += m.rssKB;
  });
  return { brkMB: kBToMB(kB.brkMB), arenasMB: kBToMB(kB.arenasMB), wasmMB: kBToMB(kB.wasmMB), otherMB: kBToMB(kB.otherMB) };
}

/** The process's CPU time so far (user + system, all threads), seconds; /proc/<pid>/stat counts in 1/100 s ticks. */
export function processCpuSeconds(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
