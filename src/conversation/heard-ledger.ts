// Which sentences of a reply the caller actually heard. Each sentence is followed by a mark, so an
// echoed mark proves the sentence played. Where marks do not come back (a platform that drops
// them), the ledger estimates from the playout position instead: a sentence counts as heard once
// the position passed its end, computed from the audio durations as the media pacer frames them.

export interface LedgerSentence {
  readonly text: string;
  /** Its mark was echoed. */
  echoed: boolean;
  /** Estimated playout position (ms since the call began) at which the sentence ends; null until queued. */
  endMs: number | null;
}

export class HeardLedger {
  readonly sentences: LedgerSentence[];
  readonly #frameSamples: number;
  readonly #frameMs: number;
  #lastEndMs = Number.NEGATIVE_INFINITY;
  /** Per sentence, for audio handed over in pieces (streamed synthesis): where it started, samples so far. */
  readonly #startMs: number[] = [];
  readonly #samples: number[] = [];

  /** `frameSamples`/`frameMs`: the outgoing frame, since each sentence's tail is padded to whole frames. */
  constructor(texts: readonly string[], frameSamples: number, frameMs: number) {
    this.sentences = texts.map((text) => ({ text, echoed: false, endMs: null }));
    this.#frameSamples = frameSamples;
    this.#frameMs = frameMs;
  }

  /**
   * Sentence `i` (`samples` long) was handed to playout when the playout position was `positionMs`.
   * It starts when the audio queued before it ends, or at once if playout had run dry.
   */
  queued(i: number, samples: number, positionMs: number): void {
    const start = Math.max(positionMs, this.#lastEndMs);
    const end = start + Math.ceil(samples / this.#frameSamples) * this.#frameMs;
    this.sentences[i].endMs = end;
    this.#lastEndMs = end;
  }

  /** Appends a sentence (a reply still being generated); returns its index. */
  add(text: string): number {
    return this.sentences.push({ text, echoed: false, endMs: null }) - 1;
  }

  /**
   * More audio of sentence `i` was handed to playout (streamed synthesis): the first piece places
   * the sentence as `queued` does; later pieces lengthen it, from the position if playout ran dry.
   */
  grew(i: number, samples: number, positionMs: number): void {
    const s = this.sentences[i];
    if (s.endMs === null || this.#startMs[i] === undefined) {
      this.queued(i, samples, positionMs);
      this.#startMs[i] = s.endMs! - Math.ceil(samples / this.#frameSamples) * this.#frameMs;
      this.#samples[i] = samples;
      return;
    }
    this.#samples[i] += samples;
    const end = Math.max(this.#startMs[i] + Math.ceil(this.#samples[i] / this.#frameSamples) * this.#frameMs, positionMs + Math.ceil(samples / this.#frameSamples) * this.#frameMs);
    s.endMs = end;
    this.#lastEndMs = end;
  }

  echoed(i: number): void {
    this.sentences[i].echoed = true;
  }

  /** Playout restarts (resuming after a false interruption): later sentences queue from the new position. */
  restart(): void {
    this.#lastEndMs = Number.NEGATIVE_INFINITY;
    this.#startMs.length = 0;
    this.#samples.length = 0;
  }

  /**
   * Leading sentences the caller heard by playout position `playedMs`. With `trustMarks` (marks do
   * come back on this call) only echoed sentences count; otherwise those whose estimated end passed.
   */
  heardCount(playedMs: number, trustMarks: boolean): number {
    let n = 0;
    for (const s of this.sentences) {
      const heard = s.echoed || (!trustMarks && s.endMs !== null && s.endMs <= playedMs);
      if (!heard) break;
      n++;
    }
    return n;
  }

  /** The text of the first `count` sentences. */
  text(count = this.sentences.length): string {
    return this.sentences
      .slice(0, count)
      .map((s) => s.text)
      .join(' ');
  }
}
