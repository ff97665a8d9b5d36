/**
 * Soak: the real server (`exovoice serve`, a child process with its cwd and DATA_DIR in a temp dir, call records
 * on) under N concurrent conversational calls for a long time. Each caller is the simulator with real speech: it
 * waits for the greeting, asks the offline agent questions (often while it is still answering: barge-in), and
 * hangs up at a random time; every ended call is replaced by a new one until the time is up. Every 10 s the
 * server's memory, event-loop delay p99 (its own /metrics; prom-client resets the delay histogram on each scrape,
 * so each sample covers the 10 s before it) and its open file descriptors (/proc/<pid>/fd) are sampled. Memory is
 * broken down so growth can be placed: RSS split by the kernel into anonymous / file / shared (/proc/<pid>/status),
 * the main thread's heap, external memory and ArrayBuffers, and each worker pool's WebAssembly memory and worker
 * heaps (exovoice_worker_* metrics), and the anonymous RSS by owner from /proc/<pid>/smaps (the main thread's brk
 * heap, glibc's thread arenas, WASM memories, the rest), which sees what V8's own figures cannot. Prints JSON: the
 * samples and a summary (RSS slope after warm-up by least squares, the same over the last half of that time, the slope of each part, fds at baseline / peak / after the
 * calls ended, event-loop delay p99 max, the server's CPU after warm-up in cores, calls completed, errors).
 *
 * Warm-up is the first --warmup-minutes (default 2) of the calls: callers arrive over the first 10 s and a call
 * lasts 8-60 s, so by then every caller slot has ended and replaced at least one call, every engine worker has
 * started, and the count of live calls is steady. It is a fixed time, not chosen from the data; growth that lasts
 * longer than that is in the slope, and the last-half slope says whether it is levelling off.
 *
 *   npm run bench:soak -- --minutes 10 --calls 200 [--warmup-minutes 2] [--agent front-desk] [--seed 1]
 */
import { mkdtempSync, mkdirSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SimulatedCall } from '../src/sim/index.js';
import { freePort } from '../test/helpers/gateway.js';
import { startServerProcess } from '../test/helpers/server-process.js';
import { concat, silence, speechBounds, synthesize, type FliteVoice } from '../test/helpers/speech.js';
import { metricByLabel, parseMetrics } from '../test/hostile/server-metrics.js';
import { anonymousMemory, mb, processCpuSeconds, processMemory, type AnonymousMemory, type ProcessMemory } from './process-memory.js';
import { slope } from './slope.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    calls: { type: 'string', default: '200' },
    'warmup-minutes': { type: 'string', default: '2' },
    'sample-seconds': { type: 'string', default: '10' },
    agent: { type: 'string', default: 'front-desk' },
    seed: { type: 'string', default: '1' },
  },
});
const MINUTES = Number(values.minutes);
const CALLS = Number(values.calls);
const WARMUP_MIN = Number(values['warmup-minutes']);
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const AGENT = values.agent;
for (const [k, v] of Object.entries({ minutes: MINUTES, calls: CALLS, 'warmup-minutes': WARMUP_MIN, 'sample-seconds': SAMPLE_MS })) {
  if (!Number.isFinite(v) || v < 0 || (k === 'calls' && (!Number.isInteger(v) || v < 1))) throw new Error(`--${k}: bad value`);
}
const RATE = 8000;

// Deterministic pseudo-random choices (xorshift32), so two runs place the same calls.
let seed = Number(values.seed) >>> 0 || 1;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x100000000;
}
const between = (lo: number, hi: number) => lo + random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The caller's questions, in voices other than the agent's. */
const QUESTIONS: Array<[string, FliteVoice]> = [
  ['what are your opening hours', 'rms'],
  ['my order number is one two three four five', 'awb'],
  ['where is the shop', 'kal16'],
  ['what time do you close', 'awb'],
  ['can i speak to someone about my order', 'rms'],
];
const clips: Array<{ samples: Int16Array; endMs: number }> = [];
for (const [text, voice] of QUESTIONS) {
  const speech = await synthesize(text, RATE, voice);
  clips.push({ samples: concat(speech, silence(200, RATE)), endMs: speechBounds(speech, RATE).endMs });
}

const root = mkdtempSync(join(tmpdir(), 'exovoice-soak-'));
const cwd = join(root, 'cwd');
mkdirSync(cwd);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = startServerProcess(
  { PORT: String(port), DATA_DIR: join(root, 'data'), DEFAULT_AGENT: AGENT, LOG_LEVEL: 'error', EXOTEL_WS_TOKEN: '', API_KEY: '', WEBHOOK_BASE_URL: '' },
  { cwd, maxOutputChars: 64 * 1024 },
);
await server.listening;
const pid = server.child.pid!;

const counts = {
  callsStarted: 0,
  callsCompleted: 0,
  /** The agent ended the call (goodbye, transfer, too many misses). */
  endedByBot: 0,
  questions: 0,
  repliesHeard: 0,
  /** A question the caller heard no reply to within 10 s (a busy recogniser, or taken for noise). */
  repliesMissed: 0,
  noGreeting: 0,
  simulatorViolations: 0,
  errors: 0,
};
const errorSamples: string[] = [];
function error(err: unknown): void {
  counts.errors++;
  if (errorSamples.length < 20) errorSamples.push((err as Error).message ?? String(err));
}

let accepting = true;
const live = new Set<SimulatedCall>();

/** One caller: greeting, questions (barging in on answers), hang-up at a random time. */
async function conversation(n: number): Promise<void> {
  const call = new SimulatedCall({ url: `${base}/voicebot/connect`, callerFrameMs: 20, callSid: `soak-${n}` });
  counts.callsStarted++;
  try {
    await call.start();
  } catch (err) {
    error(err);
    await sleep(1000); // a server that refuses calls is not hammered in a tight loop
    return;
  }
  live.add(call);
  const lifetimeMs = between(8_000, 60_000);
  try {
    await call.waitFor('firstBotAudio', { timeoutMs: 15_000 }).catch(() => void counts.noGreeting++);
    while (!call.isClosed && accepting && call.elapsedMs() < lifetimeMs) {
      await sleep(between(300, 3000)); // often while the last answer still plays: a barge-in
      if (call.isClosed || !accepting || call.elapsedMs() >= lifetimeMs) break;
      const clip = clips[Math.floor(random() * clips.length)];
      const speechEnd = call.elapsedMs() + clip.endMs;
      counts.questions++;
      void call.sendAudio(clip.samples);
      try {
        await call.waitFor('botMedia', { predicate: (f) => f.atMs > speechEnd && f.queued, includePast: false, timeoutMs: 10_000 });
        counts.repliesHeard++;
      } catch {
        if (call.isClosed) break;
        counts.repliesMissed++;
      }
    }
    const report = call.isClosed ? await call.ended() : await call.hangup();
    if (report.endedBy === 'bot') counts.endedByBot++;
    counts.simulatorViolations += report.violations.length;
    counts.callsCompleted++;
  } catch (err) {
    error(err);
    if (!call.isClosed) await call.hangup().catch(() => {});
  } finally {
    live.delete(call);
  }
}

interface Sample extends ProcessMemory {
  tSec: number;
  phase: 'baseline' | 'calls' | 'after';
  heapUsedMB: number;
  heapTotalMB: number;
  /** Main thread: memory V8 tracks outside its heap (Buffers, ArrayBuffers, the fvad WASM memory). */
  externalMB: number;
  arrayBuffersMB: number;
  /** The anonymous RSS by owner (/proc/<pid>/smaps): what V8's and the workers' own figures cannot see. */
  anonMB: AnonymousMemory;
  /** Each pool's workers' WebAssembly memory and V8 heaps, as they last reported them. */
  workerWasmMB: Record<string, number>;
  workerHeapMB: Record<string, number>;
  workersRecycled: number;
  /** The server's CPU time so far (all threads). */
  cpuSeconds: number;
  eldP99Ms: number;
  eldMaxMs: number;
  fds: number;
  /** The descriptors by kind (socket, pipe, anon_inode:[eventfd], a file's directory...), to place a leftover. */
  fdKinds: Record<string, number>;
  activeCalls: number;
}

function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the read
    }
    const kind = /^(socket|pipe):/.test(target) ? target.split(':')[0]! : target.startsWith('anon_inode:') ? target : target.replace(/\/[^/]*$/, '/');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
const samples: Sample[] = [];
const t0 = performance.now();
let phase: Sample['phase'] = 'baseline';
async function sample(): Promise<void> {
  try {
    const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const m = parseMetrics(text);
    const perPool = (name: string) => Object.fromEntries(Object.entries(metricByLabel(text, name, 'pool')).map(([k, v]) => [k, mb(v) ?? 0]));
    samples.push({
      tSec: Math.round((performance.now() - t0) / 100) / 10,
      phase,
      ...processMemory(pid),
      heapUsedMB: round(m.heapUsedBytes / 1e6, 1),
      heapTotalMB: round(m.heapTotalBytes / 1e6, 1),
      externalMB: round(m.externalBytes / 1e6, 1),
      arrayBuffersMB: round(m.arrayBuffersBytes / 1e6, 1),
      anonMB: anonymousMemory(pid),
      workerWasmMB: perPool('exovoice_worker_wasm_bytes'),
      workerHeapMB: perPool('exovoice_worker_heap_used_bytes'),
      workersRecycled: [...text.matchAll(/^exovoice_worker_recycled_total\{[^}]*\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0),
      cpuSeconds: round(processCpuSeconds(pid), 2),
      eldP99Ms: round(m.eldP99Ms, 1),
      eldMaxMs: round(m.eldMaxMs, 1),
      fds: readdirSync(`/proc/${pid}/fd`).length,
      fdKinds: fdKinds(pid),
      activeCalls: m.activeCalls,
    });
    console.error(JSON.stringify({ ...samples[samples.length - 1], ...counts }));
  } catch (err) {
    error(err);
  }
}

await sample(); // resets the delay histogram
await sleep(Math.min(SAMPLE_MS, 5000));
await sample(); // baseline: up, agents prepared, no calls
phase = 'calls';
const sampler = setInterval(() => void sample(), SAMPLE_MS);
const endAt = performance.now() + MINUTES * 60_000;
let next = 0;
const slots = Array.from({ length: CALLS }, async (_, k) => {
  await sleep((k * 10_000) / CALLS); // callers arrive over the first 10 s, not in lockstep
  while (accepting && performance.now() < endAt) await conversation(next++);
});
await sleep(MINUTES * 60_000);
accepting = false;
await Promise.race([Promise.all(slots), sleep(30_000)]);
for (const call of live) await call.hangup().catch(error);
clearInterval(sampler);
phase = 'after';
// Sockets wind down: a WebSocket whose peer never finishes the close handshake is destroyed after ws's 30 s, so
// the descriptors are sampled every 5 s until they are back at the baseline's count, for at most 60 s.
const afterFrom = performance.now();
const baselineFds = samples.filter((s) => s.phase === 'baseline').at(-1)?.fds ?? 0;
do {
  await sleep(5000);
  await sample();
} while ((samples.at(-1)?.fds ?? 0) > baselineFds && performance.now() - afterFrom < 60_000);
const fdsSettledS = Math.round((performance.now() - afterFrom) / 100) / 10;

server.child.kill('SIGTERM');
const exitCode = await Promise.race([server.exited, sleep(35_000).then(() => 'no exit')]);
if (exitCode !== 0) {
  error(new Error(`server exit: ${String(exitCode)}; output tail: ${server.output().slice(-1000)}`));
  server.child.kill('SIGKILL');
}
rmSync(root, { recursive: true, force: true });

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const during = samples.filter((s) => s.phase === 'calls');
const steady = during.filter((s) => s.tSec >= WARMUP_MIN * 60);
const lastHalf = steady.filter((s) => s.tSec >= (steady[0]?.tSec ?? 0) + ((steady.at(-1)?.tSec ?? 0) - (steady[0]?.tSec ?? 0)) / 2);
const total = (r: Record<string, number>) => Object.values(r).reduce((n, v) => n + v, 0);
/** MB per minute by least squares over `points`, of the figure `value` picks from a sample. */
const perMin = (points: Sample[], value: (s: Sample) => number) => {
  const k = slope(points.map((x) => [x.tSec / 60, value(x)]));
  return k === null ? null : round(k, 3);
};
/** Where the growth after warm-up is: each part of the RSS, and the parts of the anonymous memory we can see. */
const growth = {
  rssAnon: perMin(steady, (s) => s.rssAnonMB),
  rssFile: perMin(steady, (s) => s.rssFileMB),
  rssShmem: perMin(steady, (s) => s.rssShmemMB),
  mainHeapTotal: perMin(steady, (s) => s.heapTotalMB),
  mainExternal: perMin(steady, (s) => s.externalMB),
  mainArrayBuffers: perMin(steady, (s) => s.arrayBuffersMB),
  workerWasm: perMin(steady, (s) => total(s.workerWasmMB)),
  workerHeaps: perMin(steady, (s) => total(s.workerHeapMB)),
  anonBrk: perMin(steady, (s) => s.anonMB.brkMB),
  anonArenas: perMin(steady, (s) => s.anonMB.arenasMB),
  anonWasm: perMin(steady, (s) => s.anonMB.wasmMB),
  anonOther: perMin(steady, (s) => s.anonMB.otherMB),
};
const baseline = samples.filter((s) => s.phase === 'baseline').at(-1);
const summary = {
  minutes: MINUTES,
  concurrentCalls: CALLS,
  warmupMinutes: WARMUP_MIN,
  agent: AGENT,
  rssSlopeMBPerMin: perMin(steady, (s) => s.rssMB),
  /** The same over the second half of the time after warm-up: near the full slope for a leak, near 0 for a plateau. */
  rssSlopeLastHalfMBPerMin: perMin(lastHalf, (s) => s.rssMB),
  heapUsedSlopeMBPerMin: perMin(steady, (s) => s.heapUsedMB),
  growthAfterWarmupMBPerMin: growth,
  steadySamples: steady.length,
  rssMB: {
    baseline: baseline?.rssMB ?? null,
    warmedUp: steady[0]?.rssMB ?? null,
    peak: Math.max(...samples.map((s) => s.rssMB)),
    endOfCalls: during.at(-1)?.rssMB ?? null,
    after: samples.at(-1)?.rssMB ?? null,
  },
  workersRecycled: samples.at(-1)?.workersRecycled ?? null,
  /** The server's CPU after warm-up, in cores (CPU seconds per second). */
  serverCores: steady.length > 1 ? round((steady.at(-1)!.cpuSeconds - steady[0]!.cpuSeconds) / (steady.at(-1)!.tSec - steady[0]!.tSec), 3) : null,
  fds: {
    baseline: baseline?.fds ?? null,
    warmedUp: steady[0]?.fds ?? null,
    peak: Math.max(...samples.map((s) => s.fds)),
    after: samples.at(-1)?.fds ?? null,
    /** Seconds after the last call ended when `after` was sampled (back at baseline, or 60 s). */
    afterSeconds: fdsSettledS,
    baselineKinds: baseline?.fdKinds ?? null,
    afterKinds: samples.at(-1)?.fdKinds ?? null,
  },
  eldP99MaxMs: during.length ? Math.max(...during.map((s) => s.eldP99Ms)) : null,
  eldMaxMs: during.length ? Math.max(...during.map((s) => s.eldMaxMs)) : null,
  activeCallsAfter: samples.at(-1)?.activeCalls ?? null,
  serverExit: exitCode,
  ...counts,
  errorSamples,
};
console.log(JSON.stringify({ samples, summary }, null, 2));
process.exit(0);
