// One utterance streamed to a PocketSphinx decoder as the caller speaks: each chunk is resampled to 8 kHz
// (a stateful resampler, so chunk edges add nothing) and posted to the worker that holds the utterance, which
// decodes it at once. `finish` leaves only the final search and the confidence pass. Jobs on a pinned worker
// run in order, so `finish` sees every chunk written before it. A failed chunk (worker gone, bad grammar)
// fails `finish`, which the caller can answer by recognizing the whole utterance instead. Where the grammar has a
// fallback the 8 kHz audio is also kept here, so an utterance the grammar does not take can be decoded again.
import { createResampler, type Resampler } from '../../audio/resampler.js';
import { ProviderError } from '../errors.js';
import type { RecognitionResult, UtteranceStream } from '../types.js';
import type { WorkerPin } from '../worker-pool.js';

export const RECOGNIZER_RATE = 8000;

/** What the worker answers for a finished utterance. */
export interface DecodeResult {
  text: string;
  grammarScore?: number;
  loopScore?: number;
  speechFrames?: number;
  /** The best path's words, each with the decoder's probability for its segment. */
  words?: { text: string; p: number }[];
  /** Live normalization: the cepstral mean the utterance ended with, where the call's next one starts. */
  cmn?: string;
}

export interface UtteranceSetup {
  pin: WorkerPin;
  sampleRate: number;
  jsgf: string;
  /** The cepstral mean to start live normalization from (the call's previous utterance's); the worker's default if none. */
  cmn?: string;
  /** Keep the 8 kHz audio for `result` (a fallback decode). */
  keepAudio?: boolean;
  /** A rejection before decoding (too short, silence), or undefined; throws when too long. */
  screen(samples: number, level: () => number): RecognitionResult | undefined;
  result(out: DecodeResult, audio: Int16Array | undefined): RecognitionResult | Promise<RecognitionResult>;
}

/** Utterance ids are unique per process: one pool serves every provider instance. */
let nextId = 1;

export class PocketSphinxUtterance implements UtteranceStream {
  readonly #o: UtteranceSetup;
  readonly #id = `u${nextId++}`;
  readonly #resampler: Resampler | undefined;
  /** Output samples still to drop: the resampler's group delay, so the audio lines up as `resample()` would. */
  #skip: number;
  #samples = 0;
  #sumSquares = 0;
  #done = false;
  #failure: unknown = undefined;
  /** Input beyond the longest utterance is not sent (finish then fails as `recognize` would). */
  readonly #maxSamples: number;
  /** The 8 kHz audio sent so far (keepAudio), samples [0, #keptLength). */
  #kept: Int16Array | undefined;
  #keptLength = 0;

  constructor(setup: UtteranceSetup) {
    this.#o = setup;
    this.#resampler = setup.sampleRate === RECOGNIZER_RATE ? undefined : createResampler(setup.sampleRate, RECOGNIZER_RATE);
    this.#skip = this.#resampler?.delaySamples ?? 0;
    this.#maxSamples = setup.sampleRate * 31;
    if (setup.keepAudio) this.#kept = new Int16Array(RECOGNIZER_RATE * 4);
    this.#send({ op: 'open', utt: this.#id, jsgf: setup.jsgf, cmn: setup.cmn });
  }

  write(pcm: Int16Array): void {
    if (this.#done) return;
    if (this.#samples + pcm.length > this.#maxSamples) {
      this.#samples += pcm.length;
      return;
    }
    this.#samples += pcm.length;
    for (let i = 0; i < pcm.length; i++) this.#sumSquares += pcm[i]! * pcm[i]!;
    this.#post(this.#resampler ? this.#resampler.process(pcm) : pcm);
  }

  async finish(): Promise<RecognitionResult> {
    if (this.#done) throw new ProviderError('invalid-input', 'pocketsphinx: utterance already finished or aborted');
    if (this.#resampler) this.#post(this.#resampler.flush());
    this.#done = true;
    let early: RecognitionResult | undefined;
    try {
      early = this.#o.screen(this.#samples, () => 10 * Math.log10(this.#sumSquares / Math.max(1, this.#samples) / (32768 * 32768)));
    } catch (err) {
      this.#drop();
      throw err;
    }
    if (early || this.#failure !== undefined) {
      this.#drop();
      if (early) return early;
      throw this.#failure;
    }
    try {
      const out = await this.#o.pin.run<DecodeResult>({ op: 'finish', utt: this.#id });
      if (this.#failure !== undefined) throw this.#failure;
      this.#o.pin.release();
      return await this.#o.result(out, this.#kept?.subarray(0, this.#keptLength));
    } finally {
      this.#o.pin.release();
      this.#kept = undefined;
    }
  }

  abort(): void {
    if (this.#done) return;
    this.#done = true;
    this.#kept = undefined;
    this.#drop();
  }

  /** Frees the worker's decoder; the pin is released once the worker has done so. */
  #drop(): void {
    void this.#o.pin
      .run({ op: 'abort', utt: this.#id })
      .catch(() => {})
      .finally(() => this.#o.pin.release());
  }

  #post(pcm8k: Int16Array): void {
    let audio = pcm8k;
    if (this.#skip > 0) {
      const drop = Math.min(this.#skip, audio.length);
      this.#skip -= drop;
      audio = audio.subarray(drop);
    }
    if (audio.length === 0) return;
    if (this.#kept) this.#keep(audio);
    // A private copy (the caller and the resampler may reuse their buffers), moved to the worker.
    const own = audio.slice();
    this.#send({ op: 'write', utt: this.#id, audio: own }, [own.buffer as ArrayBuffer]);
  }

  #keep(audio: Int16Array): void {
    let kept = this.#kept!;
    if (this.#keptLength + audio.length > kept.length) {
      const grown = new Int16Array(Math.max(kept.length * 2, this.#keptLength + audio.length));
      grown.set(kept.subarray(0, this.#keptLength));
      this.#kept = kept = grown;
    }
    kept.set(audio, this.#keptLength);
    this.#keptLength += audio.length;
  }

  #send(payload: Record<string, unknown>, transfer: ArrayBuffer[] = []): void {
    this.#o.pin.run(payload, { transfer }).catch((err: unknown) => {
      this.#failure ??= err;
    });
  }
}
