/**
 * Gateway benchmark: N concurrent simulated Exotel calls (20 ms inbound frames, speech then silence, over and over)
 * against the gateway with the echo agent. The calls run in simulator processes of their own (bench/gateway-sim.ts),
 * whose CPU is reported apart. Prints JSON.
 *
 *   npm run bench -- --calls 500 --seconds 20 [--records]   the in-process gateway vs a bare `ws` server, same load
 *   [--record-audio]                                        also with every call recorded (RECORD_CALLS=on), against
 *                                                           the same gateway with records only: recording's cost
 *   npm run bench -- --workers 2 --calls 1000               the real `exovoice serve --workers 2`, one steady run
 *   npm run bench -- --sweep [--workers 1,2]                the knee: most calls with 0 gaps and 0 frame-rule violations
 *   --stores local|shared|local,shared                      shared: a Redis (started here) and a Postgres database
 *                                                           (created here, on BENCH_PG_URL) as REDIS_URL/DATABASE_URL
 */
import { execSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '../test/helpers/gateway.js';
import { startTestRedis, type TestRedis } from '../test/helpers/redis-server.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';
import { RATE, round, type LoadWindow } from './gateway-load.js';
import type { SimCommand } from './gateway-sim.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string' },
    seconds: { type: 'string' },
    'frame-ms': { type: 'string', default: '20' },
    only: { type: 'string' },
    records: { type: 'boolean', default: false },
    'record-audio': { type: 'boolean', default: false },
    workers: { type: 'string' },
    sweep: { type: 'boolean', default: false },
    stores: { type: 'string' },
    'sim-procs': { type: 'string' },
    'max-calls': { type: 'string', default: '4000' },
  },
});
const SWEEP = values.sweep;
const CALLS = Number(values.calls ?? (SWEEP ? 100 : 500));
const SECONDS = Number(values.seconds ?? (SWEEP ? 10 : 20));
const FRAME_MS = Number(values['frame-ms']);
const WARMUP_MS = 3000;
const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** Undone on the way out, also when the run is interrupted (Ctrl-C, a time-out): no server, Redis or database left. */
const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.error(`${signal}: cleaning up`);
    for (const undo of [...cleanups].reverse()) await undo().catch(() => {});
    process.exit(130);
  });
}
const progress = (what: string) => console.error(`  [${new Date().toISOString().slice(11, 19)}] ${what}`);

// ---- the load: simulator processes ---------------------------------------------------------------------------

/** Pre-built inbound messages for one speech+silence cycle, so the load generator spends little CPU. */
async function buildCycle(): Promise<string[]> {
  const speech = await synthesize('Hello, I would like to know the status of my order please.', RATE);
  const cycle = concat(speech, silence(2000, RATE));
  const samplesPerFrame = (RATE * FRAME_MS) / 1000;
  const frames: string[] = [];
  for (let i = 0; i + samplesPerFrame <= cycle.length; i += samplesPerFrame) {
    const pcm = cycle.subarray(i, i + samplesPerFrame);
    const payload = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
    frames.push(`{"event":"media","sequence_number":"${frames.length + 2}","stream_sid":"SID","media":{"chunk":"${frames.length + 1}","timestamp":"${frames.length * FRAME_MS}","payload":"${payload}"}}`);
  }
  return frames;
}

class Simulators {
  private constructor(private readonly children: ChildProcess[]) {}

  /** About 400 calls per simulator process (at most 4), so no simulator's event loop is what runs late. */
  static async start(calls: number, frames: string[]): Promise<Simulators> {
    const n = values['sim-procs'] ? Number(values['sim-procs']) : Math.min(4, Math.max(1, Math.ceil(calls / 400)));
    const children = Array.from({ length: n }, () =>
      fork(new URL('./gateway-sim.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
    const sims = new Simulators(children);
    cleanups.add(sims.kill);
    await sims.each(() => ({ cmd: 'frames', frameMs: FRAME_MS, frames }));
    return sims;
  }

  private each<T>(command: (i: number) => SimCommand): Promise<T[]> {
    return Promise.all(
      this.children.map(
        (c, i) =>
          new Promise<T>((resolve) => {
            c.once('message', (m) => resolve(m as T));
            c.send(command(i));
          }),
      ),
    );
  }

  open(urlPrefix: string, calls: number): Promise<unknown> {
    const n = this.children.length;
    return this.each((i) => ({ cmd: 'open', urlPrefix, ids: Array.from({ length: calls }, (_, k) => k).filter((k) => k % n === i) }));
  }

  reset = () => this.each(() => ({ cmd: 'reset' }));

  async window(): Promise<LoadWindow & { processes: number }> {
    const parts = (await this.each<{ window: LoadWindow }>(() => ({ cmd: 'window' }))).map((m) => m.window);
    const sum = (f: (w: LoadWindow) => number) => parts.reduce((s, w) => s + f(w), 0);
    const max = (f: (w: LoadWindow) => number) => parts.reduce((m, w) => Math.max(m, f(w)), 0);
    return {
      processes: parts.length,
      calls: sum((w) => w.calls),
      opened: sum((w) => w.opened),
      dropped: sum((w) => w.dropped),
      framesOut: sum((w) => w.framesOut),
      underruns: sum((w) => w.underruns),
      bursts: sum((w) => w.bursts),
      frameRuleViolations: sum((w) => w.frameRuleViolations),
      // The worst simulator's figures: percentiles do not add up.
      callerJitterMs: { p50: max((w) => w.callerJitterMs.p50), p99: max((w) => w.callerJitterMs.p99) },
      simTimerLateMs: { p99: max((w) => w.simTimerLateMs.p99), max: max((w) => w.simTimerLateMs.max) },
      simCpuSeconds: sum((w) => w.simCpuSeconds),
    };
  }

  async stop(): Promise<void> {
    await this.each(() => ({ cmd: 'close' }));
    for (const c of this.children) c.send({ cmd: 'exit' });
    cleanups.delete(this.kill);
  }

  readonly kill = async () => {
    for (const c of this.children) c.kill('SIGKILL');
  };
}

// ---- CPU and memory of other processes, from /proc ---------------------------------------------------------

function procStat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuSeconds: (Number(f[11]) + Number(f[12])) / CLK_TCK };
  } catch {
    return undefined; // gone
  }
}

function pidsWhere(test: (pid: number) => boolean): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return test(pid);
    } catch {
      return false;
    }
  });
}

const treeOf = (root: number) => [root, ...pidsWhere((pid) => procStat(pid)?.ppid === root)];

function rssBytes(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) total += Number(m[1]) * 1024;
  }
  return total;
}

/** CPU seconds a set of processes (found afresh at each reading) used since `reset`. */
class CpuMeter {
  private base = new Map<number, number>();
  constructor(private readonly pids: () => number[]) {}
  reset(): void {
    this.base = new Map(this.pids().map((pid) => [pid, procStat(pid)?.cpuSeconds ?? 0]));
  }
  seconds(): number {
    return this.pids().reduce((s, pid) => s + (procStat(pid)?.cpuSeconds ?? 0) - (this.base.get(pid) ?? 0), 0);
  }
}

// ---- what the calls run against --------------------------------------------------------------------------

interface Target {
  wsUrlPrefix: string;
  reset(): Promise<void>;
  /** Server-side figures of the window since `reset`. */
  stats(): Promise<Record<string, unknown> & { cpuSeconds: number }>;
  stop(): Promise<void>;
}

type Kind = 'gateway' | 'gateway+records' | 'gateway+recording' | 'bare';

/** bench/gateway-server.ts: the gateway (or a bare ws server) in a child process, instrumented, over IPC. */
async function forkedTarget(kind: Kind): Promise<Target> {
  const child = fork(new URL('./gateway-server.ts', import.meta.url), [kind], {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const request = <T>(cmd: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send({ cmd });
    });
  const kill = async () => void child.kill('SIGKILL');
  cleanups.add(kill);
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const idle = await request<{ rss: number }>('reset');
  let baseRss = idle.rss;
  return {
    wsUrlPrefix: kind === 'bare' ? `ws://127.0.0.1:${port}/?call_id=bench` : `ws://127.0.0.1:${port}/voicebot/ws?call_id=bench`,
    reset: async () => {
      baseRss = (await request<{ rss: number }>('reset')).rss;
    },
    stats: async () => {
      type Pct = { p50: number; p99: number };
      const s = await request<{
        cpuSeconds: number;
        rss: number;
        handlingUs: Pct & { count: number };
        sendJitterMs: Pct;
        eventLoopDelayMs: Pct & { max: number };
        store?: Record<string, number>;
        recordingBytes?: number;
      }>('stats');
      return {
        cpuSeconds: s.cpuSeconds,
        rssMB: round(s.rss / 2 ** 20),
        rssPerCallKB: round((baseRss - idle.rss) / CALLS / 1024),
        inboundHandlingUs: { p50: round(s.handlingUs.p50), p99: round(s.handlingUs.p99), messages: s.handlingUs.count },
        sendJitterMs: { p50: round(s.sendJitterMs.p50), p99: round(s.sendJitterMs.p99) },
        eventLoopDelayMs: { p50: round(s.eventLoopDelayMs.p50), p99: round(s.eventLoopDelayMs.p99), max: round(s.eventLoopDelayMs.max) },
        ...(s.store ? { callRecords: s.store } : {}),
        ...(s.recordingBytes !== undefined ? { recordingMB: round(s.recordingBytes / 2 ** 20) } : {}),
      };
    },
    stop: async () => {
      cleanups.delete(kill);
      child.send({ cmd: 'exit' });
      await new Promise((r) => child.once('exit', r));
    },
  };
}

interface SharedStores {
  env: Record<string, string>;
  redis: TestRedis;
  database: string;
  close(): Promise<void>;
}

/** A Redis of our own and a fresh Postgres database, dropped afterwards. */
async function sharedStores(): Promise<SharedStores> {
  const redis = await startTestRedis();
  const database = `exovoice_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect().catch((err: Error) => {
    throw new Error(`--stores shared needs PostgreSQL at ${PG_ADMIN} (BENCH_PG_URL): ${err.message}`);
  });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${database}`;
  const close = async () => {
    cleanups.delete(close);
    await redis.stop();
    const c = new pg.Client({ connectionString: PG_ADMIN });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.end();
  };
  cleanups.add(close);
  return { env: { REDIS_URL: redis.url, DATABASE_URL: url.toString() }, redis, database, close };
}

const ENTRY = fileURLToPath(new URL('../bin/exovoice.js', import.meta.url));

/** The real `exovoice serve --workers N` (echo agent), CPU and memory of the primary and its workers from /proc. */
async function serverTarget(workers: number, shared?: SharedStores): Promise<Target> {
  const port = await freePort();
  const cwd = mkdtempSync(join(tmpdir(), 'exovoice-bench-'));
  const child = spawn(process.execPath, [ENTRY, 'serve', '--workers', String(workers)], {
    cwd,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', DEFAULT_AGENT: 'echo', ...shared?.env },
    // The server's log goes to our stderr: stdout is the JSON result.
    stdio: ['ignore', 2, 2],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const kill = async () => {
    child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  };
  cleanups.add(kill);
  for (let up = false; !up; ) {
    if (child.exitCode !== null) throw new Error(`exovoice serve --workers ${workers} exited with ${child.exitCode}`);
    up = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  // Every worker up (each prepares its agents), not just the first.
  while (workers > 1 && treeOf(child.pid!).length < workers + 1) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
  progress(`exovoice serve --workers ${workers} up`);
  const server = new CpuMeter(() => treeOf(child.pid!));
  // redis-server titles itself `redis-server 127.0.0.1:<port>`.
  const redis = shared ? new CpuMeter(() => pidsWhere((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(`redis-server 127.0.0.1:${shared.redis.port}`))) : undefined;
  // Postgres backends serving our database (their process titles name it).
  const postgres = shared
    ? new CpuMeter(() => pidsWhere((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(shared.database)))
    : undefined;
  return {
    wsUrlPrefix: `ws://127.0.0.1:${port}/voicebot/ws?call_id=bench`,
    reset: async () => {
      for (const m of [server, redis, postgres]) m?.reset();
    },
    stats: async () => ({
      cpuSeconds: server.seconds(),
      processes: treeOf(child.pid!).length,
      rssMB: round(rssBytes(treeOf(child.pid!)) / 2 ** 20),
      ...(redis ? { redisCpuSeconds: round(redis.seconds()) } : {}),
      ...(postgres ? { postgresCpuSeconds: round(postgres.seconds()) } : {}),
    }),
    stop: async () => {
      cleanups.delete(kill);
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(cwd, { recursive: true, force: true });
      if (code !== 0) console.error(`exovoice serve exited with ${code}`);
    },
  };
}

// ---- one steady run --------------------------------------------------------------------------------------

type Run = Awaited<ReturnType<typeof measure>>;

/** `calls` calls through warm-up, then a `SECONDS` window measured on both sides; the calls are hung up after. */
async function measure(target: Target, frames: string[], calls: number) {
  const sims = await Simulators.start(calls, frames);
  await sims.open(target.wsUrlPrefix, calls);
  progress(`${calls} calls open`);
  await new Promise((r) => setTimeout(r, WARMUP_MS)); // every call through a speech cycle start
  await Promise.all([sims.reset(), target.reset()]);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const [load, server] = await Promise.all([sims.window(), target.stats()]);
  await sims.stop();
  const { cpuSeconds, ...serverRest } = server;
  const perCallMinute = (s: number) => round(s / (calls * (SECONDS / 60)), 4);
  return {
    calls,
    pass: load.opened === calls && load.dropped === 0 && load.underruns === 0 && load.frameRuleViolations === 0,
    opened: load.opened,
    dropped: load.dropped,
    underruns: load.underruns,
    frameRuleViolations: load.frameRuleViolations,
    bursts: load.bursts,
    framesOut: load.framesOut,
    callerJitterMs: load.callerJitterMs,
    server: {
      cpuSeconds: round(cpuSeconds),
      cpuPercentOfOneCore: round((100 * cpuSeconds) / SECONDS),
      cpuSecondsPerCallMinute: perCallMinute(cpuSeconds),
      cpuPercentOfOneCorePerCall: round((100 * cpuSeconds) / SECONDS / calls, 4),
      ...serverRest,
    },
    simulator: {
      processes: load.processes,
      cpuSeconds: round(load.simCpuSeconds),
      cpuPercentOfOneCore: round((100 * load.simCpuSeconds) / SECONDS),
      cpuSecondsPerCallMinute: perCallMinute(load.simCpuSeconds),
      timerLateMs: load.simTimerLateMs,
    },
  };
}

/** Doubling from CALLS while every run passes, then bisecting down to 5 % (at least 10 calls). */
async function sweep(target: Target, frames: string[], max: number) {
  const steps: Run[] = [];
  const step = async (calls: number) => {
    const run = await measure(target, frames, calls);
    steps.push(run);
    console.error(`  ${calls} calls: ${run.pass ? 'pass' : 'FAIL'} (underruns ${run.underruns}, violations ${run.frameRuleViolations}, dropped ${run.dropped}, server ${run.server.cpuPercentOfOneCore} %, simulator ${run.simulator.cpuPercentOfOneCore} %)`);
    await new Promise((r) => setTimeout(r, 2000)); // the hung-up calls end on the server
    return run.pass;
  };
  let lo = 0;
  let hi = 0;
  for (let calls = CALLS; ; calls = Math.min(max, calls * 2)) {
    if (!(await step(calls))) {
      hi = calls;
      break;
    }
    lo = calls;
    if (calls >= max) break;
  }
  while (hi > 0 && hi - lo > Math.max(10, Math.round(lo * 0.05))) {
    const mid = Math.round((lo + hi) / 2);
    if (await step(mid)) lo = mid;
    else hi = mid;
  }
  const knee = steps.filter((s) => s.pass && s.calls === lo).at(-1);
  // Every step up to --max-calls passed: the knee is at least that (raise --max-calls to find it).
  return { kneeCalls: lo, firstFailingCalls: hi || null, reachedMaxCalls: hi === 0, atKnee: knee ?? null, steps };
}

// ---- modes -----------------------------------------------------------------------------------------------

const frames = await buildCycle();
const result: Record<string, unknown> = { seconds: SECONDS, warmupSeconds: WARMUP_MS / 1000, inboundFrameMs: FRAME_MS, sampleRate: RATE };

if (values.workers === undefined && !SWEEP) {
  // The in-process gateway against a bare ws server, as this bench has always compared them.
  result.calls = CALLS;
  const phase = async (kind: Kind) => {
    const target = await forkedTarget(kind);
    try {
      return await measure(target, frames, CALLS);
    } finally {
      await target.stop();
    }
  };
  if (values.only !== 'gateway' && values.only !== 'records') result.bare = await phase('bare');
  if (values.only !== 'bare' && values.only !== 'records') result.gateway = await phase('gateway');
  if (values.records || values['record-audio']) result.gatewayWithRecords = await phase('gateway+records');
  if (values['record-audio']) {
    const p99 = (run: Run, figure: string) => (run.server as unknown as Record<string, { p99: number } | undefined>)[figure]?.p99;
    // Recording needs the records (files are named after them): its cost is against the records-only run.
    const without = result.gatewayWithRecords as Run;
    const withAudio = (result.gatewayWithRecording = await phase('gateway+recording')) as Run;
    result.recordingCost = {
      cpuRatio: round(withAudio.server.cpuSeconds / without.server.cpuSeconds),
      extraCpuPercentOfOneCorePerCall: round(withAudio.server.cpuPercentOfOneCorePerCall - without.server.cpuPercentOfOneCorePerCall, 4),
      underruns: withAudio.underruns,
      sendJitterP99Ms: { withoutRecording: p99(without, 'sendJitterMs'), withRecording: p99(withAudio, 'sendJitterMs') },
      eventLoopDelayP99Ms: { withoutRecording: p99(without, 'eventLoopDelayMs'), withRecording: p99(withAudio, 'eventLoopDelayMs') },
    };
  }
  if (result.bare && result.gateway) result.cpuRatioGatewayOverBare = round((result.gateway as Run).server.cpuSeconds / (result.bare as Run).server.cpuSeconds);
} else {
  const workersList = (values.workers ?? '1,2').split(',').map(Number);
  // Like for like: when several workers are measured (they need Redis and Postgres), one worker gets them too.
  const storesList = (values.stores ?? (Math.max(...workersList) > 1 ? 'shared' : 'local')).split(',');
  const runs: Array<Record<string, unknown>> = [];
  for (const workers of workersList) {
    // Several workers need the shared stores (the server refuses to start otherwise).
    for (const stores of storesList) {
      if (workers > 1 && stores !== 'shared') throw new Error('--workers above 1 needs --stores shared (REDIS_URL and DATABASE_URL)');
      console.error(`workers ${workers}, stores ${stores}`);
      const shared = stores === 'shared' ? await sharedStores() : undefined;
      const target = await serverTarget(workers, shared);
      try {
        const run = SWEEP ? await sweep(target, frames, Number(values['max-calls'])) : await measure(target, frames, CALLS);
        runs.push({ workers, stores, ...run });
      } finally {
        await target.stop();
        await shared?.close();
      }
    }
  }
  result.runs = runs;
  const knee = (w: number) => runs.find((r) => r.workers === w && typeof r.kneeCalls === 'number')?.kneeCalls as number | undefined;
  if (SWEEP && knee(1) && knee(2)) result.kneeRatio2Over1 = round(knee(2)! / knee(1)!);
  const cpu = (w: number, s: string) => (runs.find((r) => r.workers === w && r.stores === s && !SWEEP) as Run | undefined)?.server.cpuSecondsPerCallMinute;
  for (const w of workersList) {
    const [local, sharedCpu] = [cpu(w, 'local'), cpu(w, 'shared')];
    if (local !== undefined && sharedCpu !== undefined) {
      result[`sharedStoresOverheadWorkers${w}`] = { cpuSecondsPerCallMinute: round(sharedCpu - local, 4), percent: round((100 * (sharedCpu - local)) / local) };
    }
  }
}
console.log(JSON.stringify(result, null, 2));
process.exit(0);
