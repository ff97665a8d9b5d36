/**
 * Benchmark server process: `gateway` (the real gateway with the echo agent), `gateway+records` (the same, writing
 * durable call records to SQLite), `gateway+recording` (records, and every call recorded: RECORD_CALLS=on) or
 * `bare` (a minimal ws server that
 * parses each message and re-frames the caller audio back at real time). It reports its own CPU, memory and
 * per-message handling time to the parent over IPC.
 */
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { createBuiltinAgents } from '../src/agent/assembly/build-catalog.js';
import { CallSession } from '../src/call/session.js';
import { loadConfig } from '../src/config/env.js';
import { buildGateway } from '../src/http/server.js';
import { createLogger } from '../src/observability/logger.js';
import { RecordJournal } from '../src/call/record-journal.js';
import { openSqliteCallStore, type SqliteCallStore } from '../src/store/sqlite-call-store.js';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const kind = process.argv[2];
const handling = createHistogram();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/**
 * Send-side pacing, per socket: |interval - 200 ms| between consecutive media frames of one reply, skipping each
 * reply's lead-in interval. This is the engine's own cadence, free of the load generator's scheduling delays.
 */
const sendJitter = createHistogram();
const lastSends = new WeakMap<WebSocket, { at: number; index: number }>();
const originalSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
  if (typeof data === 'string' && data.startsWith('{"event":"media"')) {
    const now = performance.now();
    const last = lastSends.get(this);
    const gap = last ? now - last.at : Infinity;
    const index = gap > 700 ? 0 : last!.index + 1;
    if (index >= 2) sendJitter.record(Math.max(1, Math.round(Math.abs(gap - 200) * 1000)));
    lastSends.set(this, { at: now, index });
  }
  return (originalSend as (...a: unknown[]) => void).call(this, data, ...rest);
} as typeof WebSocket.prototype.send;

function timed<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return function (this: unknown, ...args: A) {
    const t0 = process.hrtime.bigint();
    fn.apply(this, args);
    handling.record(Math.max(1, Number(process.hrtime.bigint() - t0)));
  };
}

let store: SqliteCallStore | undefined;
/** Set when calls are recorded: the recordings' directory, for the bytes written. */
let recordingsDir: string | undefined;

/** Bytes on disk in the recordings directory (finished and partial files). */
function recordingBytes(): number | undefined {
  if (!recordingsDir) return undefined;
  let total = 0;
  for (const name of readdirSync(recordingsDir)) total += statSync(join(recordingsDir, name), { throwIfNoEntry: false })?.size ?? 0;
  return total;
}

async function startGateway(withRecords: boolean, recordAudio: boolean): Promise<number> {
  CallSession.prototype.onMessage = timed(CallSession.prototype.onMessage);
  const dataDir = mkdtempSync(join(tmpdir(), 'exovoice-bench-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEFAULT_AGENT: 'echo', DATA_DIR: dataDir, RECORD_CALLS: recordAudio ? 'on' : 'off' });
  if (recordAudio) recordingsDir = join(dataDir, 'recordings');
  const logger = createLogger('warn');
  let journal: RecordJournal | undefined;
  if (withRecords) {
    store = openSqliteCallStore({
      dataDir,
      ...(process.env.BENCH_CHECKPOINT_MS ? { checkpointIntervalMs: Number(process.env.BENCH_CHECKPOINT_MS) } : {}),
    });
    journal = new RecordJournal(store, logger);
  }
  const gateway = await buildGateway({ config, logger, agents: createBuiltinAgents('echo'), store, journal });
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  return (gateway.app.server.address() as { port: number }).port;
}

async function startBare(): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
  wss.on('connection', (ws) => {
    let sid = '';
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const timer = setInterval(() => {
      if (pendingBytes < 3200) return;
      const all = Buffer.concat(pending);
      const frame = all.subarray(0, 3200);
      pending = [all.subarray(3200)];
      pendingBytes -= 3200;
      ws.send(`{"event":"media","stream_sid":"${sid}","media":{"payload":"${frame.toString('base64')}"}}`);
    }, 200);
    ws.on(
      'message',
      timed((data: Buffer) => {
        const msg = JSON.parse(data.toString());
        if (msg.event === 'start') sid = msg.stream_sid;
        else if (msg.event === 'media') {
          const pcm = Buffer.from(msg.media.payload, 'base64');
          // Echo only what is louder than silence, like the echo agent replies only to speech.
          if (pcm.readInt16LE(0) !== 0 || pcm.readInt16LE(pcm.length - 2) !== 0) {
            pending.push(pcm);
            pendingBytes += pcm.length;
          }
        } else if (msg.event === 'stop') ws.close();
      }),
    );
    ws.on('close', () => clearInterval(timer));
  });
  await new Promise((r) => wss.once('listening', r));
  return (wss.address() as { port: number }).port;
}

const port = kind === 'bare' ? await startBare() : await startGateway(kind !== 'gateway', kind === 'gateway+recording');
let cpu0 = process.cpuUsage();
process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    handling.reset();
    sendJitter.reset();
    loopDelay.reset();
    cpu0 = process.cpuUsage();
    process.send!({ cmd: 'reset', rss: process.memoryUsage().rss });
  } else if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    process.send!({
      cmd: 'stats',
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      rss: process.memoryUsage().rss,
      handlingUs: { p50: handling.percentile(50) / 1000, p99: handling.percentile(99) / 1000, count: handling.count },
      sendJitterMs: { p50: sendJitter.percentile(50) / 1000, p99: sendJitter.percentile(99) / 1000, count: sendJitter.count },
      store: store?.stats(),
      recordingBytes: recordingBytes(),
      eventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    });
  } else if (msg.cmd === 'exit') process.exit(0);
});
process.send!({ cmd: 'ready', port, rss: process.memoryUsage().rss });
