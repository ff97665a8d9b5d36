/**
 * The load side of the gateway benchmark: simulated Exotel calls, made cheap so the simulator is not what limits the
 * measurement. One timer per process drives every call (each call keeps its own 20 ms phase, drift-free), frames are
 * pre-encoded buffers sent unmasked (a zero WebSocket mask is skipped by `ws`), and the bot's replies are sized from
 * the raw bytes without parsing their JSON. The caller-side pacing analysis is the simulator's own (src/sim/pacing.ts).
 */
import WebSocket from 'ws';
import { checkMediaSize } from '../src/sim/media-rules.js';
import { PacingMonitor } from '../src/sim/pacing.js';

export const RATE = 8000;
const OPEN_TIMEOUT_MS = 15_000;

const PAYLOAD = Buffer.from('"payload":"');
const MEDIA = Buffer.from('"event":"media"');
const QUOTE = 0x22;

/** Decoded size of the `payload` of a bot `media` message, or -1 for any other message. */
export function mediaPayloadBytes(data: Buffer): number {
  if (data.indexOf(MEDIA) < 0) return -1;
  const start = data.indexOf(PAYLOAD);
  if (start < 0) return -1;
  const from = start + PAYLOAD.length;
  const end = data.indexOf(QUOTE, from);
  if (end < 0) return -1;
  const len = end - from;
  const pad = (data[end - 1] === 0x3d ? 1 : 0) + (data[end - 2] === 0x3d ? 1 : 0);
  return (len / 4) * 3 - pad;
}

export interface WindowCounts {
  framesOut: number;
  underruns: number;
  bursts: number;
  violations: number;
}

class LoadCall {
  readonly pacing = new PacingMonitor({ burstThresholdMs: 500, replyGapMs: 1000 });
  violations = 0;
  framesOut = 0;
  opened = false;
  /** Closed by the server (or failed) after opening, before we stopped it. */
  dropped = false;
  next = 0;
  private playEnd = 0;
  private n = 0;
  private t0 = 0;
  private stopping = false;
  ws!: WebSocket;

  constructor(
    private readonly url: string,
    readonly id: number,
    private readonly frames: Buffer[],
    private readonly frameMs: number,
  ) {}

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      // A zero mask: `ws` then skips masking (the load generator's CPU goes to the calls, not to XOR).
      this.ws = new WebSocket(this.url, { generateMask: () => {}, perMessageDeflate: false });
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
        // Spread the calls over the frame period, as real calls are.
        this.t0 = performance.now() + Math.random() * this.frameMs;
        this.next = this.t0;
        this.opened = true;
        resolve();
      });
      this.ws.on('error', reject);
      // An upgrade the overloaded server never answers counts as not opened instead of stalling the run.
      const giveUp = setTimeout(() => {
        if (!this.opened) this.ws.terminate();
      }, OPEN_TIMEOUT_MS);
      this.ws.once('open', () => clearTimeout(giveUp));
      this.ws.once('close', () => {
        clearTimeout(giveUp);
        if (!this.opened) reject(new Error('closed before it opened'));
      });
      this.ws.on('close', () => {
        if (this.opened && !this.stopping) this.dropped = true;
      });
      this.ws.on('message', (data: Buffer) => this.onBot(data));
    });
  }

  /** Sends every frame due by `now` (more than one when the process fell behind). */
  sendDue(now: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.next = Infinity;
      return;
    }
    while (this.next <= now) {
      this.ws.send(this.frames[(this.n + this.id * 7) % this.frames.length], { binary: false });
      this.n++;
      this.next = this.t0 + this.n * this.frameMs;
    }
  }

  private onBot(data: Buffer): void {
    const bytes = mediaPayloadBytes(data);
    if (bytes < 0) return;
    const now = performance.now();
    if (checkMediaSize(bytes, RATE).length > 0) this.violations++;
    const ms = bytes / 2 / (RATE / 1000);
    const ahead = Math.max(0, this.playEnd - now);
    if (this.playEnd > 0 && this.playEnd < now) this.pacing.onRanDry(this.playEnd);
    this.pacing.onBotFrame(now, bytes, ms, ahead);
    this.playEnd = Math.max(this.playEnd, now) + ms;
    this.framesOut++;
  }

  counts(): WindowCounts {
    const s = this.pacing.summary();
    return { framesOut: this.framesOut, underruns: s.underruns.count, bursts: s.bursts.length, violations: this.violations };
  }

  /** Caller-side cadence since `fromMs`: |interval - previous frame's duration| within a reply, after its lead-in. */
  jitterSince(fromMs: number, out: number[]): void {
    const frames = this.pacing.summary().frames;
    const newReply = (i: number) => i === 0 || frames[i]!.atMs - frames[i - 1]!.atMs > frames[i - 1]!.durationMs + 500;
    for (let i = 1; i < frames.length; i++) {
      if (frames[i]!.atMs < fromMs || newReply(i) || newReply(i - 1)) continue;
      out.push(Math.abs(frames[i]!.atMs - frames[i - 1]!.atMs - frames[i - 1]!.durationMs));
    }
  }

  stop(): void {
    this.stopping = true;
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send('{"event":"stop","stop":{"reason":"callended"}}');
      this.ws.close();
    }
  }
}

export interface LoadWindow {
  calls: number;
  opened: number;
  dropped: number;
  framesOut: number;
  underruns: number;
  bursts: number;
  frameRuleViolations: number;
  callerJitterMs: { p50: number; p99: number };
  /** How late this simulator's own timer ran (a busy simulator shows here, not as the gateway's gaps). */
  simTimerLateMs: { p99: number; max: number };
  simCpuSeconds: number;
}

/** Calls of one simulator process, driven by one timer. */
export class LoadGenerator {
  private calls: LoadCall[] = [];
  private timer?: NodeJS.Timeout;
  private base = new Map<LoadCall, WindowCounts>();
  private windowStart = 0;
  private cpu0 = process.cpuUsage();
  private late: number[] = [];

  constructor(
    private readonly frames: Buffer[],
    private readonly frameMs: number,
  ) {}

  /** Opens calls `ids` at `url(id)`, 25 at a time (a refused one counts as not opened). */
  async open(url: (id: number) => string, ids: number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 25) {
      const batch = ids.slice(i, i + 25).map((id) => new LoadCall(url(id), id, this.frames, this.frameMs));
      this.calls.push(...batch);
      await Promise.allSettled(batch.map((c) => c.open()));
      this.start();
    }
  }

  private start(): void {
    if (this.timer) return;
    let expected = performance.now() + 2;
    const tick = () => {
      const now = performance.now();
      this.late.push(Math.max(0, now - expected));
      for (const c of this.calls) if (c.next <= now) c.sendDue(now);
      expected = performance.now() + 2;
      this.timer = setTimeout(tick, 2);
    };
    this.timer = setTimeout(tick, 2);
  }

  /** Starts the measured window. */
  reset(): void {
    this.windowStart = performance.now();
    this.base = new Map(this.calls.map((c) => [c, c.counts()]));
    this.cpu0 = process.cpuUsage();
    this.late = [];
  }

  window(): LoadWindow {
    const cpu = process.cpuUsage(this.cpu0);
    const total = { framesOut: 0, underruns: 0, bursts: 0, violations: 0 };
    const jitter: number[] = [];
    for (const c of this.calls) {
      const now = c.counts();
      const before = this.base.get(c) ?? { framesOut: 0, underruns: 0, bursts: 0, violations: 0 };
      total.framesOut += now.framesOut - before.framesOut;
      total.underruns += now.underruns - before.underruns;
      total.bursts += now.bursts - before.bursts;
      total.violations += now.violations - before.violations;
      c.jitterSince(this.windowStart, jitter);
    }
    return {
      calls: this.calls.length,
      opened: this.calls.filter((c) => c.opened).length,
      dropped: this.calls.filter((c) => c.dropped).length,
      framesOut: total.framesOut,
      underruns: total.underruns,
      bursts: total.bursts,
      frameRuleViolations: total.violations,
      callerJitterMs: { p50: percentile(jitter, 50), p99: percentile(jitter, 99) },
      simTimerLateMs: { p99: percentile(this.late, 99), max: round(this.late.reduce((m, v) => Math.max(m, v), 0)) },
      simCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  /** Hangs up every call (a `stop`, then the close) and stops the timer. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const c of this.calls) c.stop();
    this.calls = [];
    this.base.clear();
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!);
}

export const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
