import { bytesPerMs, checkFrameBytes, defaultFrameBytes } from '../exotel/frame-rules.js';
import type { MessageEncoder } from '../exotel/outgoing-messages.js';
import type { Scheduler, TimerHandle } from '../clock/scheduler.js';
import type { MarkOutcome, MarkResult } from '../conversation/call-contract.js';

export interface MediaPacerOptions {
  sampleRate: number;
  encoder: MessageEncoder;
  send: (text: string) => void;
  scheduler: Scheduler;
  /** Audio kept buffered at Exotel beyond the frame being played (spec §5.4: a small lead, never a burst). */
  leadMs?: number;
  frameBytes?: number;
  /** How long after its audio should have played a mark may stay unechoed before we give up on it. */
  markTimeoutMs?: number;
  /** Playout gap tolerated before a late frame counts as an underrun (timer jitter). */
  underrunToleranceMs?: number;
  /** Sees each frame as it is sent (with when it will play) and each `clear` (the call's recorder). */
  tap?: PacerTap;
}

export interface PacerTap {
  /** `pcm` starts playing at scheduler time `playAtMs`; the tap must not keep `pcm`. */
  sent(pcm: Buffer, playAtMs: number): void;
  /** Barge-in at `atMs`: audio scheduled to play from then on is never heard. */
  cleared(atMs: number): void;
}

export interface MediaPacerStats {
  framesOut: number;
  bytesOut: number;
  underruns: number;
  marksSent: number;
  marksEchoed: number;
  marksTimedOut: number;
  clears: number;
}

type QueueItem = { kind: 'frame'; pcm: Buffer; last: boolean } | { kind: 'mark'; mark: PendingMark };

interface PendingMark {
  name: string;
  positionMs: number;
  resolve: (r: MarkResult) => void;
  timer?: TimerHandle;
}

/**
 * Turns arbitrary chunks of PCM16LE into Exotel-legal frames (fixed size, multiple of 320 B, tail zero-padded)
 * and sends them at real-time pace, modelling Exotel's playout buffer: a frame leaves only when no more than
 * `leadMs` of audio is still waiting to be played, so the phone never gets a burst. It also keeps the ledger of
 * what the caller heard: marks carry playout positions, and `clear` takes unplayed audio off the books.
 */
export class MediaPacer {
  readonly frameBytes: number;
  readonly frameMs: number;
  readonly stats: MediaPacerStats = {
    framesOut: 0,
    bytesOut: 0,
    underruns: 0,
    marksSent: 0,
    marksEchoed: 0,
    marksTimedOut: 0,
    clears: 0,
  };

  private readonly opts: Required<Omit<MediaPacerOptions, 'frameBytes' | 'tap'>> & Pick<MediaPacerOptions, 'tap'>;
  private readonly bytesPerMs: number;
  private queue: QueueItem[] = [];
  private tail: Buffer;
  private tailLen = 0;
  /** Scheduler time at which Exotel's playout buffer runs dry. */
  private playEnd = 0;
  /** Audio sent and not cleared, in ms: the caller has heard or will hear up to here. */
  private sentMs = 0;
  /** Whether the last frame sent continues into the next one (a gap between them is an underrun). */
  private midUtterance = false;
  private timer?: TimerHandle;
  private awaitingEcho: PendingMark[] = [];
  private closed = false;

  constructor(options: MediaPacerOptions) {
    this.opts = {
      leadMs: 100,
      markTimeoutMs: 3000,
      underrunToleranceMs: 30,
      ...options,
    };
    this.bytesPerMs = bytesPerMs(options.sampleRate);
    this.frameBytes = options.frameBytes ?? defaultFrameBytes(options.sampleRate);
    const bad = checkFrameBytes(this.frameBytes, options.sampleRate);
    if (bad) throw new RangeError(`outgoing frame of ${this.frameBytes} bytes ${bad}`);
    this.frameMs = this.frameBytes / this.bytesPerMs;
    this.tail = Buffer.allocUnsafe(this.frameBytes);
  }

  /** Queues caller-bound audio (PCM16LE at the stream rate). Partial frames wait for more audio or `flush`. */
  play(pcm: Buffer | Int16Array): void {
    if (this.closed) return;
    let src = Buffer.isBuffer(pcm) ? pcm : Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    if (src.length % 2 === 1) src = src.subarray(0, src.length - 1);
    let off = 0;
    while (off < src.length) {
      const n = Math.min(this.frameBytes - this.tailLen, src.length - off);
      src.copy(this.tail, this.tailLen, off, off + n);
      this.tailLen += n;
      off += n;
      if (this.tailLen === this.frameBytes) this.pushTail(false);
    }
    this.pump();
  }

  /** Ends an utterance: the partial last frame is zero-padded and queued. */
  flush(): void {
    if (this.closed) return;
    if (this.tailLen > 0) {
      this.tail.fill(0, this.tailLen);
      this.pushTail(true);
    } else {
      const last = this.queue.findLast((item) => item.kind === 'frame');
      if (last?.kind === 'frame') last.last = true;
      else this.midUtterance = false;
    }
    this.pump();
  }

  /** Ends the utterance and puts a named mark after everything queued; resolves when Exotel echoes it. */
  mark(name: string): Promise<MarkResult> {
    if (this.closed) return Promise.resolve({ name, outcome: 'closed', positionMs: this.sentMs });
    this.flush();
    return new Promise((resolve) => {
      this.queue.push({ kind: 'mark', mark: { name, positionMs: 0, resolve } });
      this.pump();
    });
  }

  /** Called with every mark Exotel echoes. Echoes arrive in order, so earlier marks have played too. */
  onMarkEcho(name: string): boolean {
    const i = this.awaitingEcho.findIndex((m) => m.name === name);
    if (i < 0) return false;
    for (const m of this.awaitingEcho.splice(0, i + 1)) {
      this.stats.marksEchoed++;
      this.settle(m, 'played');
    }
    return true;
  }

  /** Barge-in: drop everything not yet played, here and (via `clear`) at Exotel. Outstanding marks are cancelled. */
  clear(): void {
    if (this.closed) return;
    const now = this.opts.scheduler.now();
    this.sentMs -= Math.max(0, this.playEnd - now);
    this.playEnd = Math.min(this.playEnd, now);
    for (const item of this.queue) if (item.kind === 'mark') this.settle(item.mark, 'cleared');
    for (const m of this.awaitingEcho) this.settle(m, 'cleared');
    this.queue = [];
    this.awaitingEcho = [];
    this.tailLen = 0;
    this.midUtterance = false;
    this.cancelTimer();
    this.stats.clears++;
    this.opts.tap?.cleared(now);
    this.opts.send(this.opts.encoder.clear());
  }

  /** Stops sending; pending marks resolve as `closed`. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer();
    for (const item of this.queue) if (item.kind === 'mark') this.settle(item.mark, 'closed');
    for (const m of this.awaitingEcho) this.settle(m, 'closed');
    this.queue = [];
    this.awaitingEcho = [];
  }

  /** Playout position now: ms of audio the caller has heard (an estimate between mark echoes). */
  playedMs(): number {
    return this.sentMs - Math.max(0, this.playEnd - this.opts.scheduler.now());
  }

  /** Audio queued here and not yet sent, in ms. */
  get pendingMs(): number {
    let frames = 0;
    for (const item of this.queue) if (item.kind === 'frame') frames++;
    return frames * this.frameMs + this.tailLen / this.bytesPerMs;
  }

  /** True when nothing is queued here and Exotel's buffer should have played out. */
  get idle(): boolean {
    return this.queue.length === 0 && this.tailLen === 0 && this.playEnd <= this.opts.scheduler.now();
  }

  private pushTail(last: boolean): void {
    this.queue.push({ kind: 'frame', pcm: this.tail, last });
    this.tail = Buffer.allocUnsafe(this.frameBytes);
    this.tailLen = 0;
  }

  private pump(): void {
    if (this.closed) return;
    this.cancelTimer();
    const { scheduler, leadMs, send, encoder } = this.opts;
    while (this.queue.length > 0) {
      const now = scheduler.now();
      const head = this.queue[0];
      if (head.kind === 'mark') {
        this.queue.shift();
        head.mark.positionMs = this.sentMs;
        this.stats.marksSent++;
        send(encoder.mark(head.mark.name));
        this.awaitingEcho.push(head.mark);
        const mark = head.mark;
        mark.timer = scheduler.setTimer(() => this.expire(mark), Math.max(0, this.playEnd - now) + this.opts.markTimeoutMs);
        continue;
      }
      const ahead = this.playEnd - now;
      if (ahead > leadMs) {
        this.timer = scheduler.setTimer(() => {
          this.timer = undefined;
          this.pump();
        }, ahead - leadMs);
        return;
      }
      if (this.midUtterance && -ahead > this.opts.underrunToleranceMs) this.stats.underruns++;
      this.queue.shift();
      send(encoder.media(head.pcm));
      this.stats.framesOut++;
      this.stats.bytesOut += head.pcm.length;
      const playAt = Math.max(this.playEnd, now);
      this.opts.tap?.sent(head.pcm, playAt);
      this.playEnd = playAt + this.frameMs;
      this.sentMs += this.frameMs;
      this.midUtterance = !head.last;
    }
    if (this.tailLen > 0) {
      // A producer that stalls mid-frame must not hold audio back past the point where the caller hears a gap.
      this.timer = scheduler.setTimer(() => {
        this.timer = undefined;
        if (this.tailLen === 0) return;
        this.tail.fill(0, this.tailLen);
        this.pushTail(false);
        this.pump();
      }, Math.max(0, this.playEnd - scheduler.now()));
    }
  }

  private expire(mark: PendingMark): void {
    const i = this.awaitingEcho.indexOf(mark);
    if (i < 0) return;
    this.awaitingEcho.splice(i, 1);
    this.stats.marksTimedOut++;
    mark.timer = undefined;
    this.settle(mark, 'timeout');
  }

  private settle(mark: PendingMark, outcome: MarkOutcome): void {
    if (mark.timer) this.opts.scheduler.clearTimer(mark.timer);
    mark.timer = undefined;
    mark.resolve({ name: mark.name, outcome, positionMs: outcome === 'cleared' ? this.sentMs : mark.positionMs });
  }

  private cancelTimer(): void {
    if (this.timer) this.opts.scheduler.clearTimer(this.timer);
    this.timer = undefined;
  }
}
