/**
 * Exotel's playout buffer as the spec models it (§5.3, §12): each bot payload is re-sliced into 20 ms
 * frames at the stream rate and one frame plays per 20 ms tick; a payload's short tail still consumes a
 * whole tick (the rest of that tick is silence). Marks sit in the queue behind the audio sent before them
 * and are released once that audio has finished playing; `clear` drops everything not yet started.
 */
export const TICK_MS = 20;

interface AudioItem {
  kind: 'audio';
  samples: Int16Array;
  offset: number;
}
interface MarkItem<M> {
  kind: 'mark';
  mark: M;
}

/**
 * `ran-dry`: the queue emptied with nothing marking the end of a reply (a candidate underrun);
 * `reply-ended`: it emptied right after a mark, or after a clear.
 */
export type TickOutcome = 'audio' | 'idle' | 'ran-dry' | 'reply-ended';

export class PlayoutQueue<M> {
  readonly frameSamples: number;
  private items: Array<AudioItem | MarkItem<M>> = [];
  private queuedTicks = 0;
  /** True while the frame started at the last tick is still sounding. */
  private playing = false;
  private clearedSinceAudio = false;

  constructor(
    sampleRate: number,
    private readonly onMarkPassed: (mark: M) => void,
  ) {
    this.frameSamples = Math.round((sampleRate * TICK_MS) / 1000);
  }

  /** Audio queued and not yet started, in ms of playout time (tails rounded up to whole ticks). */
  get bufferedAheadMs(): number {
    return this.queuedTicks * TICK_MS;
  }

  /** Ticks this payload will occupy. */
  ticksFor(samples: number): number {
    return Math.ceil(samples / this.frameSamples);
  }

  enqueueAudio(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.items.push({ kind: 'audio', samples, offset: 0 });
    this.queuedTicks += this.ticksFor(samples.length);
  }

  /** Queues a mark; returns false when nothing is queued or sounding, i.e. it passes immediately. */
  enqueueMark(mark: M): boolean {
    if (this.items.length === 0 && !this.playing) return false;
    this.items.push({ kind: 'mark', mark });
    return true;
  }

  /** Drops unplayed audio and the marks behind it; the frame already sounding finishes. */
  clear(): { droppedMs: number; droppedMarks: M[] } {
    const droppedMarks: M[] = [];
    for (const item of this.items) if (item.kind === 'mark') droppedMarks.push(item.mark);
    const droppedMs = this.bufferedAheadMs;
    this.items = [];
    this.queuedTicks = 0;
    this.clearedSinceAudio = true;
    return { droppedMs, droppedMarks };
  }

  /**
   * Advances one 20 ms tick and writes what the caller hears into `out` (frameSamples long). Marks
   * waiting at the head are released first: the audio in front of them finished at this instant.
   */
  tick(out: Int16Array): TickOutcome {
    const wasPlaying = this.playing;
    let releasedMark = false;
    while (this.items.length > 0 && this.items[0].kind === 'mark') {
      const item = this.items.shift() as MarkItem<M>;
      releasedMark = true;
      this.onMarkPassed(item.mark);
    }
    const head = this.items[0];
    if (head === undefined) {
      out.fill(0);
      this.playing = false;
      if (!wasPlaying) return 'idle';
      return releasedMark || this.clearedSinceAudio ? 'reply-ended' : 'ran-dry';
    }
    const audio = head as AudioItem;
    const n = Math.min(this.frameSamples, audio.samples.length - audio.offset);
    out.set(audio.samples.subarray(audio.offset, audio.offset + n));
    if (n < this.frameSamples) out.fill(0, n);
    audio.offset += n;
    if (audio.offset >= audio.samples.length) this.items.shift();
    this.queuedTicks -= 1;
    this.playing = true;
    this.clearedSinceAudio = false;
    return 'audio';
  }
}
