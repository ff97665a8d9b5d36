/**
 * Pacing analysis of the bot's outgoing audio (spec §5.4): real Exotel turns unpaced bursts into choppy
 * audio or early hangups, and late frames into audible gaps. Times are ms since the `start` event.
 */
export interface BotFrameTiming {
  atMs: number;
  bytes: number;
  durationMs: number;
  /** Audio already queued ahead of the playout cursor when this frame arrived. */
  aheadMs: number;
}

export interface Burst {
  startMs: number;
  /** Highest amount queued ahead (including the arriving frame) during the burst. */
  peakAheadMs: number;
  frames: number;
}

export interface Underrun {
  /** When the queue ran dry (playout clock). */
  atMs: number;
  gapMs: number;
}

export interface PacingSummary {
  burstThresholdMs: number;
  maxAheadMs: number;
  bursts: Burst[];
  underruns: { count: number; totalGapMs: number; events: Underrun[] };
  /** |inter-arrival interval - previous frame's duration|, within one reply, after its lead-in. */
  jitterMs: { samples: number; p50: number; p99: number; max: number };
  frames: BotFrameTiming[];
}

export interface PacingOptions {
  burstThresholdMs: number;
  /** A dry queue refilled within this window counts as an underrun inside one reply. */
  replyGapMs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

export class PacingMonitor {
  private readonly frames: BotFrameTiming[] = [];
  private readonly bursts: Burst[] = [];
  private readonly underruns: Underrun[] = [];
  private deviations = new Float64Array(256);
  private deviationCount = 0;
  private currentBurst: Burst | undefined;
  private dryAtMs: number | undefined;
  private maxAheadMs = 0;
  private framesInReply = 0;

  constructor(private readonly options: PacingOptions) {}

  /**
   * Records a frame; returns the burst it opened, if any. A burst is a run of frames arriving while
   * more than the threshold of audio (this frame included) is queued ahead of real time.
   */
  onBotFrame(atMs: number, bytes: number, durationMs: number, aheadMs: number): Burst | undefined {
    const previous = this.frames[this.frames.length - 1];
    this.frames.push({ atMs, bytes, durationMs, aheadMs });
    // A paced sender builds its small lead between a reply's first and second frame, so that interval may be
    // short on purpose: cadence is measured from the third frame of a reply on.
    const interval = previous === undefined ? Infinity : atMs - previous.atMs;
    this.framesInReply = interval <= this.options.replyGapMs ? this.framesInReply + 1 : 1;
    if (this.framesInReply >= 3) this.pushDeviation(Math.abs(interval - previous!.durationMs));
    if (this.dryAtMs !== undefined) {
      const gap = atMs - this.dryAtMs;
      if (gap <= this.options.replyGapMs) this.underruns.push({ atMs: this.dryAtMs, gapMs: Math.max(0, gap) });
      this.dryAtMs = undefined;
    }
    const queued = aheadMs + durationMs;
    if (queued > this.maxAheadMs) this.maxAheadMs = queued;
    if (queued <= this.options.burstThresholdMs) {
      this.currentBurst = undefined;
      return undefined;
    }
    if (this.currentBurst) {
      this.currentBurst.frames += 1;
      if (queued > this.currentBurst.peakAheadMs) this.currentBurst.peakAheadMs = queued;
      return undefined;
    }
    this.currentBurst = { startMs: atMs, peakAheadMs: queued, frames: 1 };
    this.bursts.push(this.currentBurst);
    return this.currentBurst;
  }

  /** The playout queue emptied with no mark or clear ending the reply. */
  onRanDry(atMs: number): void {
    this.dryAtMs = atMs;
  }

  /** A reply ended cleanly (mark passed, clear, or no audio): a later frame starts a new reply. */
  onReplyEnded(): void {
    this.dryAtMs = undefined;
    this.framesInReply = 0;
  }

  private pushDeviation(value: number): void {
    if (this.deviationCount === this.deviations.length) {
      const grown = new Float64Array(this.deviations.length * 2);
      grown.set(this.deviations);
      this.deviations = grown;
    }
    this.deviations[this.deviationCount++] = value;
  }

  summary(): PacingSummary {
    const sorted = this.deviations.slice(0, this.deviationCount).sort();
    const totalGapMs = this.underruns.reduce((sum, u) => sum + u.gapMs, 0);
    return {
      burstThresholdMs: this.options.burstThresholdMs,
      maxAheadMs: this.maxAheadMs,
      bursts: this.bursts.map((b) => ({ ...b })),
      underruns: { count: this.underruns.length, totalGapMs, events: this.underruns.slice() },
      jitterMs: {
        samples: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.length > 0 ? sorted[sorted.length - 1] : 0,
      },
      frames: this.frames.slice(),
    };
  }
}
