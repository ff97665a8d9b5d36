// Keeps caller audio continuous when Exotel's media stream skips: if a chunk's `media.timestamp`
// is later than the previous chunk's timestamp plus its duration, the missing time is fed as
// silence first, so VAD, endpointing and stream time never stall or drift behind the call.

export interface GapFillerOptions {
  /** A jump up to this much beyond the expected timestamp is timestamp jitter, not lost audio (default 40 ms). */
  toleranceMs?: number;
  /** Longest gap filled; a longer one is filled up to this (the stream was stalled, not lost). Default 10 s. */
  maxGapMs?: number;
}

/** Zeros shared by every caller: silence is fed from here in pieces, never allocated per gap. */
const ZEROS = new Int16Array(4800);

export class GapFiller {
  readonly sampleRate: number;
  readonly toleranceMs: number;
  readonly maxGapMs: number;
  #expectedMs: number | null = null;
  /** Total silence inserted, ms (for the call's timeline). */
  filledMs = 0;
  gaps = 0;

  constructor(sampleRate: number, options: GapFillerOptions = {}) {
    this.sampleRate = sampleRate;
    this.toleranceMs = options.toleranceMs ?? 40;
    this.maxGapMs = options.maxGapMs ?? 10_000;
  }

  /**
   * Silence (in samples) to feed before a chunk of `samples` stamped `timestampMs`. Chunks without a
   * timestamp, and timestamps that go backwards, insert nothing.
   */
  gapBefore(timestampMs: number | undefined, samples: number): number {
    const durationMs = (samples * 1000) / this.sampleRate;
    if (timestampMs === undefined || !Number.isFinite(timestampMs)) {
      if (this.#expectedMs !== null) this.#expectedMs += durationMs;
      return 0;
    }
    const expected = this.#expectedMs;
    this.#expectedMs = timestampMs + durationMs;
    if (expected === null) return 0;
    const gapMs = timestampMs - expected;
    if (gapMs <= this.toleranceMs) return 0;
    const filled = Math.min(gapMs, this.maxGapMs);
    this.filledMs += filled;
    this.gaps++;
    return Math.round((filled * this.sampleRate) / 1000);
  }
}

/** Calls `feed` with `samples` of silence, in pieces of a shared zero buffer (read-only: do not write to it). */
export function feedSilence(samples: number, feed: (pcm: Int16Array) => void): void {
  for (let left = samples; left > 0; left -= ZEROS.length) feed(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
}
