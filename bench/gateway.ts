/**
 * Gateway benchmark: N concurrent simulated Exotel calls (20 ms inbound frames, speech then silence, over and
 * over) against the real gateway with the echo agent, then the same load against a bare `ws` server. Prints JSON.
 *
 *   npm run bench -- --calls 500 --seconds 20 [--records]   (--records adds a run that keeps durable call records)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { checkMediaSize } from '../src/sim/media-rules.js';
import { PacingMonitor } from '../src/sim/pacing.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    'frame-ms': { type: 'string', default: '20' },
    only: { type: 'string' },
    records: { type: 'boolean', default: false },
  },
});
const CALLS = Number(values.calls);
const SECONDS = Number(values.seconds);
const FRAME_MS = Number(values['frame-ms']);
const RATE = 8000;

interface ServerHandle {
  child: ChildProcess;
  port: number;
  request<T>(cmd: string): Promise<T>;
}

type Kind = 'gateway' | 'gateway+records' | 'bare';

async function startServer(kind: Kind): Promise<ServerHandle> {
  const child = fork(new URL('./gateway-server.ts', import.meta.url), [kind], {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  return {
    child,
    port: ready.port,
    request: <T>(cmd: string) =>
      new Promise<T>((resolve) => {
        child.once('message', (m) => resolve(m as T));
        child.send({ cmd });
      }),
  };
}

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

class LoadCall {
  readonly pacing = new PacingMonitor({ burstThresholdMs: 500, replyGapMs: 1000 });
  violations = 0;
  framesOut = 0;
  private playEnd = 0;
  private timer?: NodeJS.Timeout;
  private n = 0;
  private t0 = 0;
  ws!: WebSocket;

  constructor(
    private readonly url: string,
    private readonly id: number,
    private readonly cycle: string[],
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws = new WebSocket(this.url);
      this.ws.once('open', () => {
        const sid = `s${this.id}`;
        this.ws.send('{"event":"connected"}');
        this.ws.send(
          JSON.stringify({
            event: 'start',
            sequence_number: '1',
            stream_sid: sid,
            start: { stream_sid: sid, call_sid: `c${this.id}`, account_sid: 'bench', from: '0', to: '1', custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' } },
          }),
        );
        this.t0 = performance.now();
        // Spread the calls over the frame period, as real calls are.
        this.timer = setTimeout(() => this.tick(), Math.random() * FRAME_MS);
        resolve();
      });
      this.ws.once('error', reject);
      this.ws.on('message', (data) => this.onBot(data.toString()));
    });
  }

  private tick(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(this.cycle[(this.n + this.id * 7) % this.cycle.length]);
    this.n++;
    // Drift-free: the next frame is due at t0 + n * frame, whatever this tick's lateness.
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.t0 + this.n * FRAME_MS - performance.now()));
  }

  private onBot(text: string): void {
    const msg = JSON.parse(text);
    if (msg.event !== 'media') return;
    const now = performance.now();
    const bytes = Buffer.byteLength(msg.media.payload, 'base64');
    if (checkMediaSize(bytes, RATE).length > 0) this.violations++;
    const ms = bytes / 2 / (RATE / 1000);
    const ahead = Math.max(0, this.playEnd - now);
    if (this.playEnd > 0 && this.playEnd < now) this.pacing.onRanDry(this.playEnd);
    this.pacing.onBotFrame(now, bytes, ms, ahead);
    this.playEnd = Math.max(this.playEnd, now) + ms;
    this.framesOut++;
  }

  stop(): void {
    clearTimeout(this.timer);
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send('{"event":"stop","stop":{"reason":"callended"}}');
      this.ws.close();
    }
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function runPhase(kind: Kind, cycle: string[]) {
  const server = await startServer(kind);
  const idle = await server.request<{ rss: number }>('reset');
  const calls: LoadCall[] = [];
  const url = kind !== 'bare' ? (i: number) => `ws://127.0.0.1:${server.port}/voicebot/ws?call_id=bench${i}` : () => `ws://127.0.0.1:${server.port}/`;
  for (let i = 0; i < CALLS; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, CALLS - i) }, (_, k) => {
      const c = new LoadCall(url(i + k), i + k, cycle);
      calls.push(c);
      return c.open();
    }));
  }
  await new Promise((r) => setTimeout(r, 3000)); // warm-up: every call through a speech cycle start
  const base = await server.request<{ rss: number }>('reset');
  for (const c of calls) c.pacing.summary(); // (monitors keep their history; the window is what counts below)
  const framesBefore = calls.reduce((s, c) => s + c.framesOut, 0);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  type Pct = { p50: number; p99: number };
  const stats = await server.request<{
    cpuSeconds: number;
    rss: number;
    handlingUs: Pct & { count: number };
    sendJitterMs: Pct;
    eventLoopDelayMs: Pct & { max: number };
    store?: { flushes: number; flushedEvents: number; maxFlushMs: number; droppedOps: number };
  }>('stats');
  const framesOut = calls.reduce((s, c) => s + c.framesOut, 0) - framesBefore;
  const jitter: number[] = [];
  let bursts = 0;
  let underruns = 0;
  let maxAheadMs = 0;
  for (const c of calls) {
    const sum = c.pacing.summary();
    bursts += sum.bursts.length;
    underruns += sum.underruns.count;
    maxAheadMs = Math.max(maxAheadMs, sum.maxAheadMs);
    // Steady-state cadence only: a reply's first frame lands on an empty buffer and the second follows early
    // by design (the engine builds its lead), so the interval after a reply's first frame is not jitter.
    const frames = sum.frames;
    const newReply = (i: number) => i === 0 || frames[i].atMs - frames[i - 1].atMs > frames[i - 1].durationMs + 500;
    for (let i = 1; i < frames.length; i++) {
      if (newReply(i) || newReply(i - 1)) continue;
      jitter.push(Math.abs(frames[i].atMs - frames[i - 1].atMs - frames[i - 1].durationMs));
    }
  }
  for (const c of calls) c.stop();
  await new Promise((r) => setTimeout(r, 500));
  server.child.send({ cmd: 'exit' });
  return {
    calls: CALLS,
    inboundHandlingUs: { p50: round(stats.handlingUs.p50), p99: round(stats.handlingUs.p99), messages: stats.handlingUs.count },
    cpuSeconds: round(stats.cpuSeconds),
    cpuPercentOfOneCore: round((100 * stats.cpuSeconds) / SECONDS),
    cpuSecondsPerCallMinute: round(stats.cpuSeconds / (CALLS * (SECONDS / 60)), 4),
    rssMB: round(stats.rss / 2 ** 20),
    rssPerCallKB: round((base.rss - idle.rss) / CALLS / 1024),
    framesOut,
    outboundJitterMs: {
      atServer: { p50: round(stats.sendJitterMs.p50), p99: round(stats.sendJitterMs.p99) },
      atCaller: { p50: round(percentile(jitter, 50)), p99: round(percentile(jitter, 99)) },
    },
    serverEventLoopDelayMs: { p50: round(stats.eventLoopDelayMs.p50), p99: round(stats.eventLoopDelayMs.p99), max: round(stats.eventLoopDelayMs.max) },
    frameRuleViolations: calls.reduce((s, c) => s + c.violations, 0),
    bursts,
    underruns,
    maxBufferedAheadMs: round(maxAheadMs),
    ...(stats.store ? { callRecords: stats.store } : {}),
  };
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

const cycle = await buildCycle();
const result: Record<string, unknown> = { calls: CALLS, seconds: SECONDS, inboundFrameMs: FRAME_MS, sampleRate: RATE };
if (values.only !== 'gateway' && values.only !== 'records') result.bare = await runPhase('bare', cycle);
if (values.only !== 'bare' && values.only !== 'records') result.gateway = await runPhase('gateway', cycle);
if (values.records) result.gatewayWithRecords = await runPhase('gateway+records', cycle);
if (result.bare && result.gateway) {
  result.cpuRatioGatewayOverBare = round(
    (result.gateway as { cpuSeconds: number }).cpuSeconds / (result.bare as { cpuSeconds: number }).cpuSeconds,
  );
}
console.log(JSON.stringify(result, null, 2));
process.exit(0);
