// Which sentences of a reply the caller actually heard. Each sentence is followed by a mark, so an
// echoed mark proves the sentence played. Where marks do not come back (a platform that drops
// them), the ledger estimates from the playout position instead: a sentence counts as heard once
// the position passed its end, computed from the audio durations as the outbound engine frames them.

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

  /** `frameSamples`/`frameMs`: the outbound frame, since each sentence's tail is padded to whole frames. */
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

  echoed(i: number): void {
    this.sentences[i].echoed = true;
  }

  /** Playout restarts (resuming after a false interruption): later sentences queue from the new position. */
  restart(): void {
    this.#lastEndMs = Number.NEGATIVE_INFINITY;
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
