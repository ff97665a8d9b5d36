// Plays one reply sentence by sentence: each sentence's audio is handed to the call as soon as it
// is synthesized (the next one synthesizes meanwhile), followed by a mark, so the ledger knows what
// the caller heard. Can be cut (barge-in) and restarted from the first unheard sentence.
import type { MarkResult } from './call-contract.js';
import { HeardLedger } from './heard-ledger.js';

/** The part of CallControl playback needs. */
export interface PlaybackPort {
  play(pcm: Int16Array): void;
  mark(name: string): Promise<MarkResult>;
  playedMs(): number;
}

export interface PlaybackHooks {
  /** The first sentence's audio is ready (once per playback). */
  onFirstAudio?(cached: boolean): void;
  /** Audio of this run was handed to the call for the first time. */
  onPlayStarted(): void;
  /** A sentence's mark came back. */
  onMarkEcho?(sentence: number): void;
  /** A mark was given up on (the platform did not echo it in time). */
  onMarkTimeout?(sentence: number): void;
  /** The last sentence played (its mark echoed, or timed out). */
  onFinished(): void;
  /** Synthesis failed; nothing more will play. */
  onError(err: unknown): void;
}

export interface PlaybackOptions {
  port: PlaybackPort;
  /** Mark names are `<name>.<sentence>`. */
  name: string;
  sentences: readonly string[];
  /** Sentence audio: cached (sync) or synthesized. */
  audio(sentence: string, signal: AbortSignal): Int16Array | Promise<Int16Array>;
  /** Outgoing frame size, for the ledger's estimate. */
  frameSamples: number;
  frameMs: number;
  /** Whether this call's marks come back (decides between proof and estimate). */
  trustMarks(): boolean;
  hooks: PlaybackHooks;
}

export class Playback {
  readonly ledger: HeardLedger;
  readonly #o: PlaybackOptions;
  readonly #audio: Array<Int16Array | Promise<Int16Array> | undefined>;
  #run = 0;
  #abort: AbortController | null = null;
  #firstAudio = true;
  #done = false;

  constructor(options: PlaybackOptions) {
    this.#o = options;
    this.ledger = new HeardLedger(options.sentences, options.frameSamples, options.frameMs);
    this.#audio = new Array(options.sentences.length);
  }

  get finished(): boolean {
    return this.#done;
  }

  /** Plays from sentence `from` (0, or the first unheard one when resuming). Cached audio plays synchronously. */
  start(from = 0): void {
    this.#stop();
    const run = ++this.#run;
    const abort = (this.#abort = new AbortController());
    this.ledger.restart();
    void this.#play(run, from, abort.signal);
  }

  /** Stops at once (the caller must `clear` the call); returns how many leading sentences were heard. */
  cut(playedMs: number): number {
    this.#stop();
    return this.ledger.heardCount(playedMs, this.#o.trustMarks());
  }

  #stop(): void {
    this.#run++;
    this.#abort?.abort();
    this.#abort = null;
  }

  async #play(run: number, from: number, signal: AbortSignal): Promise<void> {
    const { port, sentences, hooks } = this.#o;
    let started = false;
    for (let i = from; i < sentences.length; i++) {
      let audio = this.#fetch(i, signal);
      this.#prefetch(i + 1, signal);
      const cached = !(audio instanceof Promise);
      if (audio instanceof Promise) {
        try {
          audio = await audio;
        } catch (err) {
          this.#audio[i] = undefined;
          if (run === this.#run) hooks.onError(err);
          return;
        }
      }
      if (run !== this.#run) return;
      if (this.#firstAudio) {
        this.#firstAudio = false;
        hooks.onFirstAudio?.(cached);
      }
      this.ledger.queued(i, audio.length, port.playedMs());
      port.play(audio);
      if (!started) {
        started = true;
        hooks.onPlayStarted();
      }
      const last = i === sentences.length - 1;
      port.mark(`${this.#o.name}.${i}`).then((r) => {
        if (run !== this.#run) return;
        if (r.outcome === 'played') {
          this.ledger.echoed(i);
          hooks.onMarkEcho?.(i);
        } else if (r.outcome === 'timeout') {
          hooks.onMarkTimeout?.(i);
        } else return;
        if (last) {
          this.#done = true;
          hooks.onFinished();
        }
      });
    }
  }

  #fetch(i: number, signal: AbortSignal): Int16Array | Promise<Int16Array> {
    let a = this.#audio[i];
    if (a === undefined) {
      a = this.#o.audio(this.#o.sentences[i], signal);
      if (a instanceof Promise) {
        const p = a.then((samples) => (this.#audio[i] = samples));
        // A cut aborts it; the rejection is handled when (if) the sentence is awaited.
        p.catch(() => {
          if (this.#audio[i] === p) this.#audio[i] = undefined;
        });
        a = p;
      }
      this.#audio[i] = a;
    }
    return a;
  }

  #prefetch(i: number, signal: AbortSignal): void {
    if (i < this.#o.sentences.length) this.#fetch(i, signal);
  }
}
