// Plays a reply whose sentences arrive while it is being generated (an LLM's), each sentence's audio
// streamed from the TTS engine to the call as it arrives, followed by a mark, so the caller hears the
// first words while the model is still writing and the ledger knows what was heard. The sentence
// after the playing one synthesizes meanwhile. A failed synthesis is retried once where nothing of
// it was heard; a sentence that broke off mid-way is not said again. Like Playback, it can be cut
// and restarted from the first unheard sentence (a false interruption).
import { ProviderError } from '../providers/errors.js';
import { HeardLedger } from './heard-ledger.js';
import type { PlaybackHooks, PlaybackPort } from './playback.js';

export interface StreamPlaybackHooks extends PlaybackHooks {
  /** Synthesis of a sentence failed; `retrying` false means the playback gives up (`onError` follows). */
  onSynthFailure?(err: unknown, retrying: boolean): void;
}

export interface StreamPlaybackOptions {
  port: PlaybackPort;
  /** Mark names are `<name>.<sentence>`. */
  name: string;
  /** Sentence audio: cached (handed over at once) or streamed. */
  audio(sentence: string, signal: AbortSignal): Int16Array | AsyncIterable<Int16Array>;
  frameSamples: number;
  frameMs: number;
  trustMarks(): boolean;
  /** No first audio of a streamed sentence within this: a `timeout` failure. */
  firstChunkTimeoutMs: number;
  /** Whether a failed synthesis may be tried again (at most once per reply). */
  retryable(err: unknown): boolean;
  hooks: StreamPlaybackHooks;
}

/** Sentences synthesized ahead of the one playing. */
const LOOKAHEAD = 1;

interface Sentence {
  text: string;
  chunks: Int16Array[];
  /** All of its audio is in `chunks` (or it broke off and what came is all there will be). */
  complete: boolean;
  /** Chunks handed to the call in this run. */
  handed: number;
  synth: AbortController | null;
  marked: boolean;
}

export class StreamPlayback {
  readonly ledger: HeardLedger;
  readonly #o: StreamPlaybackOptions;
  readonly #sentences: Sentence[] = [];
  #run = 0;
  /** Playing in this run (not cut). */
  #live = false;
  /** Index of the sentence playing (== sentences.length while waiting for the next). */
  #playing = 0;
  /** Marks of this run that came back (played or timed out). */
  #resolved = 0;
  #from = 0;
  #ended = false;
  #started = false;
  #firstAudio = true;
  #retried = false;
  #done = false;
  #pumping = false;

  constructor(options: StreamPlaybackOptions) {
    this.#o = options;
    this.ledger = new HeardLedger([], options.frameSamples, options.frameMs);
  }

  get finished(): boolean {
    return this.#done;
  }

  /** Sentences so far. */
  get length(): number {
    return this.#sentences.length;
  }

  /** Whether no more sentences will come. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The next sentence of the reply. */
  push(text: string): void {
    if (this.#ended) return;
    this.ledger.add(text);
    this.#sentences.push({ text, chunks: [], complete: false, handed: 0, synth: null, marked: false });
    this.#pump();
  }

  /** The reply is complete: once the last sentence has played, `onFinished`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pump();
  }

  /** Plays from sentence `from` (0, or the first unheard one when resuming). Cached audio plays synchronously. */
  start(from = 0): void {
    this.#stop();
    this.#live = true;
    this.#started = false;
    this.#from = this.#playing = from;
    this.#resolved = 0;
    this.ledger.restart();
    for (let i = from; i < this.#sentences.length; i++) {
      const s = this.#sentences[i];
      s.handed = 0;
      s.marked = false;
      // Audio cut off mid-sentence is synthesized again; complete audio is replayed.
      if (!s.complete) s.chunks = [];
    }
    this.#pump();
  }

  /** Stops at once (the caller must `clear` the call); returns how many leading sentences were heard. */
  cut(playedMs: number): number {
    this.#stop();
    return this.ledger.heardCount(playedMs, this.#o.trustMarks());
  }

  #stop(): void {
    this.#run++;
    this.#live = false;
    for (const s of this.#sentences) {
      s.synth?.abort();
      s.synth = null;
    }
  }

  /** Starts what can start and hands over what can play; safe to re-enter. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let progress = true; progress && this.#live; ) {
        progress = false;
        const end = Math.min(this.#sentences.length, this.#playing + 1 + LOOKAHEAD);
        for (let i = this.#playing; i < end; i++) {
          const s = this.#sentences[i];
          if (!s.complete && !s.synth) {
            this.#synthesize(i);
            progress = true;
          }
        }
        const s = this.#sentences[this.#playing];
        if (s) {
          while (s.handed < s.chunks.length) this.#hand(this.#playing, s.chunks[s.handed++]);
          if (s.complete && !s.marked) {
            this.#mark(this.#playing);
            this.#playing++;
            progress = true;
          }
        }
      }
      this.#checkFinished();
    } finally {
      this.#pumping = false;
    }
  }

  #hand(i: number, chunk: Int16Array): void {
    const { port, hooks } = this.#o;
    if (chunk.length === 0) return;
    this.ledger.grew(i, chunk.length, port.playedMs());
    port.play(chunk);
    if (!this.#started) {
      this.#started = true;
      hooks.onPlayStarted();
    }
  }

  #mark(i: number): void {
    const run = this.#run;
    const s = this.#sentences[i];
    s.marked = true;
    // A sentence with no audio at all (broke off before any came) has nothing to mark.
    if (s.chunks.length === 0) {
      this.#resolved++;
      return;
    }
    void this.#o.port.mark(`${this.#o.name}.${i}`).then((r) => {
      if (run !== this.#run) return;
      if (r.outcome === 'played') {
        this.ledger.echoed(i);
        this.#o.hooks.onMarkEcho?.(i);
      } else if (r.outcome === 'timeout') {
        this.#o.hooks.onMarkTimeout?.(i);
      } else return;
      this.#resolved++;
      this.#checkFinished();
    });
  }

  #checkFinished(): void {
    if (this.#done || !this.#live || !this.#ended) return;
    if (this.#playing < this.#sentences.length || this.#resolved < this.#sentences.length - this.#from) return;
    this.#done = true;
    this.#live = false;
    const { hooks } = this.#o;
    // Never from inside push()/end(): the host may still be in the middle of handling the reply.
    queueMicrotask(() => hooks.onFinished());
  }

  #synthesize(i: number): void {
    const s = this.#sentences[i];
    const run = this.#run;
    const ctl = new AbortController();
    s.synth = ctl;
    let audio: Int16Array | AsyncIterable<Int16Array>;
    try {
      audio = this.#o.audio(s.text, ctl.signal);
    } catch (err) {
      s.synth = null;
      this.#failed(i, err);
      return;
    }
    if (audio instanceof Int16Array) {
      s.chunks.push(audio);
      s.complete = true;
      s.synth = null;
      this.#audioArrived(audio, true);
      return;
    }
    void this.#stream(i, audio, ctl, run);
  }

  async #stream(i: number, audio: AsyncIterable<Int16Array>, ctl: AbortController, run: number): Promise<void> {
    const s = this.#sentences[i];
    const limit = this.#o.firstChunkTimeoutMs;
    let timer: NodeJS.Timeout | undefined = setTimeout(() => ctl.abort(new ProviderError('timeout', `no audio within ${limit} ms`)), limit);
    try {
      for await (const chunk of audio) {
        if (run !== this.#run) return;
        clearTimeout(timer);
        timer = undefined;
        if (chunk.length === 0) continue;
        s.chunks.push(chunk);
        this.#audioArrived(chunk, false);
        if (i === this.#playing) this.#pump();
      }
    } catch (err) {
      if (run !== this.#run) return;
      s.synth = null;
      this.#failed(i, ctl.signal.aborted ? (ctl.signal.reason ?? err) : err);
      return;
    } finally {
      clearTimeout(timer);
    }
    if (run !== this.#run) return;
    s.synth = null;
    s.complete = true;
    this.#pump();
  }

  #audioArrived(_chunk: Int16Array, cached: boolean): void {
    if (!this.#firstAudio) return;
    this.#firstAudio = false;
    this.#o.hooks.onFirstAudio?.(cached);
  }

  #failed(i: number, err: unknown): void {
    const s = this.#sentences[i];
    const { hooks } = this.#o;
    if (!this.#retried && this.#o.retryable(err)) {
      this.#retried = true;
      hooks.onSynthFailure?.(err, true);
      // Nothing of it played: say it again from the start. Part of it played: that part was heard;
      // repeating it would say it twice, so the sentence ends where it broke and the next one follows.
      if (s.handed === 0) s.chunks = [];
      else s.complete = true;
      this.#pump();
      return;
    }
    hooks.onSynthFailure?.(err, false);
    this.#stop();
    hooks.onError(err);
  }
}
