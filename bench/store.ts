// Call store load benchmark: N concurrent calls each appending ~5 timeline events/s and a transcript
// turn every ~3 s, against the SQLite store on a temp dir, or with --postgres <url> the Postgres store
// (each run in a schema of its own, dropped after). Two runs:
// - "simulated": SIM_SECONDS of simulated time driven as fast as possible; the flush timer is fired
//   every simulated 100 ms, so flush sizes match production and the run measures pure cost;
// - "realtime": REALTIME_SECONDS of wall time on the store's real timers, with the event-loop delay
//   (perf_hooks.monitorEventLoopDelay) measured while it runs.
// Prints one JSON object. Usage: npm run bench:store [-- --calls 500 --sim-seconds 60 --realtime-seconds 20]
//   [--postgres postgres://postgres@127.0.0.1:5432/test]
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { CallStore } from '../src/store/call-store.js';
import type { Timers } from '../src/store/flush-scheduler.js';
import { openPostgresCallStore } from '../src/store/postgres-call-store.js';
import { DB_FILE_NAME, openSqliteCallStore, type SqliteCallStore } from '../src/store/sqlite-call-store.js';
import type { QueuedStoreOptions } from '../src/store/store-options.js';

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '500' },
    'sim-seconds': { type: 'string', default: '60' },
    'realtime-seconds': { type: 'string', default: '20' },
    'events-per-second': { type: 'string', default: '5' },
    'turn-every-seconds': { type: 'string', default: '3' },
    // 0: SQLite's automatic checkpoints, inside flushes on the main thread (for comparison).
    'checkpoint-interval-ms': { type: 'string', default: '1000' },
    postgres: { type: 'string' },
  },
});
const POSTGRES_URL = args.postgres;
const CALLS = Number(args.calls);
const SIM_SECONDS = Number(args['sim-seconds']);
const REALTIME_SECONDS = Number(args['realtime-seconds']);
const EVENTS_PER_SECOND = Number(args['events-per-second']);
const TURN_EVERY_MS = Number(args['turn-every-seconds']) * 1000;
const CHECKPOINT_INTERVAL_MS = Number(args['checkpoint-interval-ms']);
const FLUSH_INTERVAL_MS = 100;
const LOOP_RESOLUTION_MS = 10;

/** Deterministic PRNG so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENT_KINDS = ['mark', 'mark', 'clear', 'dtmf', 'media-stats', 'vad'] as const;

interface SimCall {
  id: string;
  nextEventAt: number;
  nextTurnAt: number;
  turns: number;
  marks: number;
}

/** The traffic one call generates up to time `t`. Returns [events, turns] issued. */
function drive(store: CallStore, call: SimCall, t: number, random: () => number): [number, number] {
  let events = 0;
  let turns = 0;
  const gap = 1000 / EVENTS_PER_SECOND;
  while (call.nextEventAt <= t) {
    const kind = EVENT_KINDS[Math.floor(random() * EVENT_KINDS.length)];
    const data =
      kind === 'mark'
        ? { name: `utt-${call.marks++}`, bytesSent: Math.floor(random() * 64000) }
        : kind === 'dtmf'
          ? { digit: String(Math.floor(random() * 10)) }
          : kind === 'clear'
            ? { reason: 'barge-in', pendingMs: Math.floor(random() * 3000) }
            : kind === 'vad'
              ? { speech: random() > 0.5, energy: Math.round(random() * 1000) / 1000 }
              : { framesIn: Math.floor(random() * 50), framesOut: Math.floor(random() * 50), jitterMs: Math.round(random() * 40) };
    store.appendEvent(call.id, { type: kind, at: call.nextEventAt, data });
    call.nextEventAt += gap * (0.5 + random());
    events++;
  }
  while (call.nextTurnAt <= t) {
    const agent = call.turns % 2 === 1;
    const seq = store.addTurn(call.id, {
      role: agent ? 'agent' : 'caller',
      text: agent
        ? 'Sure, I can help you with that. Your current balance is four thousand two hundred rupees.'
        : 'Hi, I wanted to check the balance on my account please.',
      startedAt: call.nextTurnAt,
      endedAt: call.nextTurnAt + 2000,
    });
    if (agent && random() < 0.3) store.updateTurn(call.id, seq, { interrupted: true, heardText: 'Sure, I can help' });
    call.nextTurnAt += TURN_EVERY_MS * (0.5 + random());
    call.turns++;
    turns++;
  }
  return [events, turns];
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function flushSummary(durations: number[], seconds: number) {
  const sorted = [...durations].sort((a, b) => a - b);
  const total = durations.reduce((a, b) => a + b, 0);
  return {
    flushes: durations.length,
    p50Ms: round(pct(sorted, 50)),
    p99Ms: round(pct(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    meanMs: round(total / Math.max(1, durations.length)),
    blockedMsPerSecond: round(total / seconds),
  };
}

function diskBytes(dataDir: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    const p = join(dataDir, DB_FILE_NAME + suffix);
    if (existsSync(p)) bytes += statSync(p).size;
  }
  return bytes;
}

/** Where a run's store lives: a temp dir for SQLite, a schema of its own for Postgres. */
interface Target {
  store: CallStore;
  /** SQLite's store, for its checkpoint and WAL figures. */
  sqlite: SqliteCallStore | null;
  bytes(): Promise<number>;
  /** Closes the store first. */
  cleanup(): Promise<void>;
}

let schemas = 0;

async function openTarget(options: QueuedStoreOptions): Promise<Target> {
  if (POSTGRES_URL === undefined) {
    const dataDir = mkdtempSync(join(tmpdir(), 'exovoice-bench-store-'));
    const store = openSqliteCallStore({ dataDir, checkpointIntervalMs: CHECKPOINT_INTERVAL_MS, ...options });
    return {
      store,
      sqlite: store,
      bytes: async () => diskBytes(dataDir),
      cleanup: async () => {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `exovoice_bench_${process.pid}_${++schemas}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const u = new URL(POSTGRES_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const store = await openPostgresCallStore({ connectionString: u.toString(), ...options });
  return {
    store,
    sqlite: null,
    bytes: async () =>
      Number(
        (
          await admin.query<{ b: string }>(
            `SELECT sum(pg_total_relation_size(c.oid))::text AS b FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind = 'r'`,
            [schema],
          )
        ).rows[0].b,
      ),
    cleanup: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

async function createCalls(store: CallStore, start: number, random: () => number): Promise<SimCall[]> {
  const calls: SimCall[] = [];
  for (let i = 0; i < CALLS; i++) {
    const id = await store.create({
      direction: i % 3 === 0 ? 'outbound' : 'inbound',
      from: `0804711${String(i).padStart(4, '0')}`,
      to: `+91980000${String(i).padStart(4, '0')}`,
      agent: 'support-bot',
      customField: JSON.stringify({ lead: i }),
    });
    store.update(id, { callSid: `CA${id}`, status: 'in-progress', answeredAt: start, startedAt: start });
    calls.push({ id, nextEventAt: start + random() * 200, nextTurnAt: start + random() * TURN_EVERY_MS, turns: 0, marks: 0 });
  }
  return calls;
}

function endCalls(store: CallStore, calls: SimCall[], at: number): void {
  for (const c of calls) {
    store.appendEvent(c.id, { type: 'stop', at });
    store.update(c.id, { status: 'completed', endedAt: at, endReason: 'caller-hangup', closeCode: 1000 });
  }
}

/** Timers that fire only when the simulation advances time. */
class SimTimers implements Timers {
  private armed = new Map<number, () => void>();
  private next = 1;
  set(fn: () => void): unknown {
    this.armed.set(this.next, fn);
    return this.next++;
  }
  clear(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  fire(): void {
    const all = [...this.armed.values()];
    this.armed.clear();
    for (const fn of all) fn();
  }
}

async function simulated() {
  const timers = new SimTimers();
  const flushMs: number[] = [];
  const start = Date.UTC(2025, 0, 1);
  let simNow = start;
  const target = await openTarget({ timers, clock: () => simNow, onFlush: (i) => flushMs.push(i.durationMs) });
  const store = target.store;
  const random = rng(1);
  const calls = await createCalls(store, start, random);
  await store.flush();
  flushMs.length = 0;

  let events = 0;
  let turns = 0;
  let enqueueMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let t = start + FLUSH_INTERVAL_MS; t <= start + SIM_SECONDS * 1000; t += FLUSH_INTERVAL_MS) {
    simNow = t;
    const e0 = performance.now();
    for (const call of calls) {
      const [e, tu] = drive(store, call, t, random);
      events += e;
      turns += tu;
    }
    enqueueMs += performance.now() - e0;
    timers.fire(); // the flush the real timer would run at this point
    if (target.sqlite === null) await store.flush(); // Postgres's flush runs off the stack: wait for it
  }
  endCalls(store, calls, simNow);
  await store.flush();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const stats = store.stats();
  const bytes = await target.bytes();
  await target.cleanup();
  return {
    calls: CALLS,
    simulatedSeconds: SIM_SECONDS,
    events,
    turns,
    wallMs: round(wallMs, 1),
    eventsPerSecond: Math.round(events / (wallMs / 1000)),
    speedupOverRealTime: round((SIM_SECONDS * 1000) / wallMs, 1),
    flush: flushSummary(flushMs, SIM_SECONDS),
    cpuUsPerEvent: round((cpu.user + cpu.system) / events),
    enqueueUsPerWrite: round((enqueueMs * 1000) / (events + turns)),
    droppedOps: stats.droppedOps,
    diskBytes: bytes,
    diskBytesPerCall: Math.round(bytes / CALLS),
    diskBytesPerEvent: round(bytes / (events + turns), 1),
  };
}

async function realtime() {
  const flushMs: number[] = [];
  const target = await openTarget({ flushIntervalMs: FLUSH_INTERVAL_MS, onFlush: (i) => flushMs.push(i.durationMs) });
  const store = target.store;
  const random = rng(2);
  const start = Date.now();
  const calls = await createCalls(store, start, random);
  await store.flush();
  flushMs.length = 0;

  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let events = 0;
  let turns = 0;
  let enqueueMs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  loop.enable();
  await new Promise<void>((resolve) => {
    // Many small ticks, like media traffic: every 10 ms each call catches up on what is due.
    const tick = setInterval(() => {
      const now = Date.now();
      const e0 = performance.now();
      for (const call of calls) {
        const [e, tu] = drive(store, call, now, random);
        events += e;
        turns += tu;
      }
      enqueueMs += performance.now() - e0;
      if (now - start >= REALTIME_SECONDS * 1000) {
        clearInterval(tick);
        resolve();
      }
    }, 10);
  });
  loop.disable();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  endCalls(store, calls, Date.now());
  await store.flush();
  const sqlite = target.sqlite;
  const walBytes = sqlite === null ? null : diskBytes(dirname(sqlite.path)) - statSync(sqlite.path).size;
  const checkpoints = sqlite?.checkpointStats() ?? null;
  const bytes = await target.bytes();
  await target.cleanup();
  // The histogram records the time between its timer's ticks: subtract the resolution to get the lag.
  const ms = (ns: number) => round(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
  return {
    calls: CALLS,
    seconds: round(wallMs / 1000, 1),
    events,
    turns,
    eventsPerSecond: Math.round(events / (wallMs / 1000)),
    flush: flushSummary(flushMs, wallMs / 1000),
    enqueueUsPerWrite: round((enqueueMs * 1000) / (events + turns)),
    cpuPercentOfOneCore: round(((cpu.user + cpu.system) / 1000 / wallMs) * 100, 1),
    cpuUsPerEvent: round((cpu.user + cpu.system) / events),
    eventLoopLagMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) },
    walAndShmBytesAtEnd: walBytes,
    backgroundCheckpoints: checkpoints?.checkpoints ?? null,
    diskBytesPerCall: Math.round(bytes / CALLS),
  };
}

const result = {
  node: process.version,
  store: POSTGRES_URL === undefined ? 'sqlite' : `postgres ${new URL(POSTGRES_URL).host}`,
  flushIntervalMs: FLUSH_INTERVAL_MS,
  checkpoints: POSTGRES_URL !== undefined ? null : CHECKPOINT_INTERVAL_MS > 0 ? `worker thread every ${CHECKPOINT_INTERVAL_MS} ms` : 'sqlite automatic (main thread)',
  simulated: await simulated(),
  realtime: REALTIME_SECONDS > 0 ? await realtime() : null,
};
console.log(JSON.stringify(result, null, 2));
