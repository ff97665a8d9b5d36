// Offline grammar-constrained speech recognition with SoundSwallower (PocketSphinx compiled to
// WASM) and its 8 kHz US-English model: recognizes which of an agent's phrases the caller said, or
// rejects the utterance. Decoders (~25 MB of WebAssembly memory each) live in worker threads, several per worker
// (pocketsphinx.worker.mjs); an utterance is either recognized whole or streamed to a decoder as the caller speaks.
import os from 'node:os';
import { ProviderError } from '../errors.js';
import { resample } from '../../audio/resample-buffer.js';
import type {
  CompiledGrammar,
  GrammarSpec,
  RecognitionOptions,
  RecognitionResult,
  SpeechToText,
  UtteranceOptions,
  UtteranceStream,
} from '../types.js';
import { WorkerPool, sharedWorkerPool, type SharedPoolOptions, type WorkerPoolOptions } from '../worker-pool.js';
import { buildPhraseGrammar, jsgfWords, phraseWords } from './phrase-grammar.js';
import { PocketSphinxUtterance, type DecodeResult } from './pocketsphinx-utterance.js';

export const RECOGNIZER_SAMPLE_RATE = 8000;

/**
 * Per-speech-frame log-likelihood ratio (grammar path vs free phone loop, in the decoder's score
 * units) that maps to confidence 0.5, and the spread of the logistic. Measured on flite speech
 * (4 voices, 8 phrases + 7 other sentences): in-grammar phrases scored -9..+22, other sentences
 * that found a grammar path -172..-18 (most find none); noise and tones find no grammar path.
 */
export const LLR_MIDPOINT = -13;
export const LLR_SCALE = 3;

export const DEFAULT_MIN_CONFIDENCE = 0.5;
export const DEFAULT_SILENCE_DBFS = -55;
export const DEFAULT_MIN_DURATION_MS = 150;
export const MAX_DURATION_MS = 30_000;

export interface PocketSphinxOptions {
  pool?: WorkerPool;
  /** Worker threads of the process-wide decoder pool when this call creates it (default: one per core). */
  poolSize?: number;
  /** Streaming decoders each worker holds (default 8; ~25 MB each, plus ~35 MB per worker). */
  decodersPerWorker?: number;
  /** Cepstral mean normalization: `batch` decodes at the end of the utterance, `live` as it is written (see the worker). */
  cmn?: CmnMode;
  /** Offer `openUtterance` (default: when this call creates a pool with live normalization). */
  streaming?: boolean;
  /** When the confidence pass runs (see the worker): `finish` (default) or, live only, `stream`. */
  loopPass?: LoopPass;
  maxQueue?: number;
  /** Results below this confidence are rejected as `low-confidence` (default 0.5). */
  minConfidence?: number;
  /** Utterances quieter than this RMS level (dBFS) are rejected as `silence` without decoding (default -55). */
  silenceDbfs?: number;
  /** Shorter utterances are rejected as `too-short` (default 150 ms). */
  minDurationMs?: number;
  /** Drop phrases with out-of-vocabulary words (listed in `skipped`) instead of failing the compile. */
  skipOutOfVocabulary?: boolean;
}

export interface PocketSphinxGrammar extends CompiledGrammar {
  /** Phrases left out because the dictionary lacks some of their words (only with `skipOutOfVocabulary`). */
  readonly skipped: readonly { phrase: string; words: string[] }[];
}

interface GrammarEntry {
  jsgf: string;
  /** Decoded when `jsgf`'s result is below minConfidence. */
  fallback?: string;
  phraseOf: Map<string, string> | undefined;
}

interface CheckResult {
  missing: string[];
}

/**
 * A decoder loads into 32 MiB of WebAssembly memory, which Emscripten grows by 20% at a time and never gives back.
 * One grammar and short phrases kept it at 32 MiB over 400 jobs (bench/rss-engines.ts), but under the soak's
 * mix of grammars and utterance lengths it grew a step every few minutes; a decoder that has grown twice (to 46 MiB)
 * is replaced once idle, which bounds each decoder's memory without losing a recognition.
 */
export const DECODER_MAX_WASM_BYTES = 44 * 1024 * 1024;
/** Each further decoder in the same module (measured: 1 decoder 32 MiB, 2 decoders 55 MiB). */
export const DECODER_WASM_BYTES = 25 * 1024 * 1024;
export const DEFAULT_DECODERS_PER_WORKER = 8;

/**
 * Room for a grammar's own search beyond the decoders: the front desk's order read-back (digit sequences with
 * corrections) builds a 58 MiB search, its other grammars 0-13 MiB, and a worker that has built it stays at 138 MiB
 * (one grammar decoder and the phone loop) over the whole evaluation corpus. Without this room every read-back pushed
 * a batch worker past its bound, and workers were replaced 27-53 times in a 10-minute soak. Under the soak's mix a
 * worker still grows in 20 % steps (to ~166 MiB in 8 minutes), as each switch back to the read-back builds its
 * search again, so this spaces replacements out rather than ending them.
 */
export const GRAMMAR_SEARCH_WASM_BYTES = 96 * 1024 * 1024;

/** The worker's WebAssembly memory bound: the first decoder's, two growth steps per further one, and the largest search. */
export function workerWasmBound(decodersPerWorker: number): number {
  // Streaming decoders plus the phone-loop one.
  return DECODER_MAX_WASM_BYTES + Math.round(decodersPerWorker * DECODER_WASM_BYTES * 1.44) + GRAMMAR_SEARCH_WASM_BYTES;
}

export type CmnMode = 'batch' | 'live';
/** When the confidence's phone-loop pass runs: at the end of the utterance, or (live only) streamed alongside. */
export type LoopPass = 'finish' | 'stream';

export interface PocketSphinxPoolOptions extends SharedPoolOptions {
  decodersPerWorker?: number;
  cmn?: CmnMode;
  loopPass?: LoopPass;
}

/** The process-wide decoder pool (created on first use; see sharedWorkerPool). */
export function pocketsphinxWorkerPool(options: PocketSphinxPoolOptions = {}): WorkerPool {
  return sharedWorkerPool(poolOptions(options));
}

/** A decoder pool of its own (tests, benches): the shared one's settings apply per process. */
export function createPocketSphinxPool(options: PocketSphinxPoolOptions = {}): WorkerPool {
  return new WorkerPool(poolOptions(options));
}

function poolOptions(options: PocketSphinxPoolOptions): WorkerPoolOptions {
  const { decodersPerWorker = DEFAULT_DECODERS_PER_WORKER, cmn = 'batch', loopPass = 'finish', ...shared } = options;
  if (!Number.isInteger(decodersPerWorker) || decodersPerWorker < 1) throw new RangeError('pocketsphinx decodersPerWorker must be a positive integer');
  if (cmn !== 'batch' && cmn !== 'live') throw new RangeError('pocketsphinx cmn must be "batch" or "live"');
  if (loopPass !== 'finish' && loopPass !== 'stream') throw new RangeError('pocketsphinx loopPass must be "finish" or "stream"');
  return {
    name: 'pocketsphinx',
    script: new URL('./pocketsphinx.worker.mjs', import.meta.url),
    // Batch decoding loads one grammar decoder per worker (jobs run one at a time), so a worker past one decoder's
    // bound has grown, not loaded more: recycle it as before streaming existed.
    recycle: { aboveWasmBytes: workerWasmBound(cmn === 'live' ? decodersPerWorker : 1) },
    workerData: { decoders: decodersPerWorker, cmn, loop: loopPass },
    ...shared,
    size: shared.size ?? os.availableParallelism(),
  };
}

/** Logistic map of the per-frame log-likelihood ratio to 0..1. */
export function llrToConfidence(llr: number): number {
  return 1 / (1 + Math.exp(-(llr - LLR_MIDPOINT) / LLR_SCALE));
}

/** The utterance's confidence: the grammar path's per-speech-frame log-likelihood ratio against the free phone loop. */
export function decodeConfidence(out: DecodeResult): number {
  if (out.loopScore === undefined || out.grammarScore === undefined) return 0;
  return llrToConfidence((out.grammarScore - out.loopScore) / Math.max(1, out.speechFrames ?? 0));
}

/** A fallback hypothesis's confidence: the mean of its words' probabilities. */
export function wordsConfidence(words: readonly { confidence: number }[]): number {
  return words.reduce((sum, w) => sum + w.confidence, 0) / Math.max(1, words.length);
}

/** RMS level in dBFS (full-scale sine ≈ -3); -Infinity for digital silence. */
export function levelDbfs(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return 10 * Math.log10(sum / Math.max(1, samples.length) / (32768 * 32768));
}

export class PocketSphinxSpeechToText implements SpeechToText {
  readonly name = 'pocketsphinx';
  readonly minConfidence: number;
  readonly #pool: WorkerPool;
  readonly #silenceDbfs: number;
  readonly #minDurationMs: number;
  readonly #skipOov: boolean;
  readonly #grammars = new WeakMap<CompiledGrammar, GrammarEntry>();
  /** Live normalization: each call's (affinity's) cepstral mean at the end of its last utterance. */
  readonly #callCmn = new WeakMap<object, string>();
  #nextGrammarId = 1;

  /**
   * Streaming recognition, offered where it pays: with live normalization, decoding keeps pace with the caller.
   * With batch normalization a streamed utterance is decoded at its end all the same, so callers recognize whole.
   */
  readonly openUtterance: ((sampleRate: number, options?: UtteranceOptions) => UtteranceStream) | undefined;

  constructor(options: PocketSphinxOptions = {}) {
    const streaming = options.streaming ?? (options.pool === undefined && options.cmn === 'live');
    this.openUtterance = streaming ? (sampleRate, o) => this.#open(sampleRate, o) : undefined;
    this.#pool =
      options.pool ?? pocketsphinxWorkerPool({
        size: options.poolSize,
        maxQueue: options.maxQueue,
        decodersPerWorker: options.decodersPerWorker,
        cmn: options.cmn,
        loopPass: options.loopPass,
      });
    this.minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
    this.#silenceDbfs = options.silenceDbfs ?? DEFAULT_SILENCE_DBFS;
    this.#minDurationMs = options.minDurationMs ?? DEFAULT_MIN_DURATION_MS;
    this.#skipOov = options.skipOutOfVocabulary ?? false;
    if (!(this.minConfidence >= 0 && this.minConfidence <= 1)) throw new RangeError('minConfidence must be within 0..1');
  }

  async compileGrammar(spec: GrammarSpec): Promise<PocketSphinxGrammar> {
    if ('phrases' in spec) return this.#compilePhrases(spec.phrases);
    if (typeof spec.jsgf !== 'string' || !spec.jsgf.trim()) throw new ProviderError('invalid-input', 'pocketsphinx: empty JSGF grammar');
    for (const jsgf of [spec.jsgf, spec.fallback ?? '']) {
      if (!jsgf) continue;
      const { missing } = await this.#pool.run<CheckResult>({ op: 'check', words: jsgfWords(jsgf), jsgf });
      if (missing.length > 0) throw outOfVocabulary(missing);
    }
    return this.#register(spec.jsgf, undefined, [], [], spec.fallback || undefined);
  }

  async recognize(audio: Int16Array, sampleRate: number, options: RecognitionOptions = {}): Promise<RecognitionResult> {
    const grammar = this.#grammarOf(options.grammar);
    if (!(audio instanceof Int16Array)) throw new ProviderError('invalid-input', 'pocketsphinx: audio must be an Int16Array');
    checkRate(sampleRate);
    const rejected = this.#screen(audio.length, sampleRate, () => levelDbfs(audio));
    if (rejected) return rejected;

    // A private copy at 8 kHz, moved to the worker.
    const pcm = resample(audio, sampleRate, RECOGNIZER_SAMPLE_RATE);
    const pcmCopy = grammar.fallback ? pcm.slice() : pcm;
    const out = await this.#pool.run<DecodeResult>(
      { op: 'recognize', jsgf: grammar.jsgf, audio: pcm },
      { signal: options.signal, transfer: [pcm.buffer as ArrayBuffer] },
    );
    const first = this.#result(grammar, out);
    if (!grammar.fallback || (first.rejected !== 'no-match' && first.rejected !== 'low-confidence')) return first;
    return this.#recognizeFallback(grammar.fallback, pcmCopy, options.signal, { text: first.hypothesis ?? '', confidence: first.confidence });
  }

  /**
   * Streams one utterance to a decoder pinned to `options.affinity`'s worker (see PocketSphinxUtterance). Live
   * normalization starts from where the same affinity's last utterance ended; a grammar's fallback decodes the
   * kept audio when the grammar does not take it, as for a whole utterance.
   */
  #open(sampleRate: number, options: UtteranceOptions = {}): UtteranceStream {
    const grammar = this.#grammarOf(options.grammar);
    checkRate(sampleRate);
    const { affinity } = options;
    const cmn = affinity && this.#callCmn.get(affinity);
    return new PocketSphinxUtterance({
      pin: this.#pool.pin(affinity),
      sampleRate,
      jsgf: grammar.jsgf,
      cmn,
      keepAudio: grammar.fallback !== undefined,
      screen: (samples, level) => this.#screen(samples, sampleRate, level),
      result: (out, audio) => {
        if (affinity && out.cmn) this.#callCmn.set(affinity, out.cmn);
        const first = this.#result(grammar, out);
        if (!grammar.fallback || !audio || (first.rejected !== 'no-match' && first.rejected !== 'low-confidence')) return first;
        // The kept audio is this utterance's own: moved to the worker, not copied.
        return this.#recognizeFallback(grammar.fallback, audio, undefined, { text: first.hypothesis ?? '', confidence: first.confidence }, out.cmn ?? cmn);
      },
    });
  }

  #grammarOf(handle: CompiledGrammar | undefined): GrammarEntry {
    const grammar = handle && this.#grammars.get(handle);
    if (!grammar) {
      throw new ProviderError('invalid-input', 'pocketsphinx recognizes only with a grammar compiled by this provider (options.grammar)');
    }
    return grammar;
  }

  /** Rejects an utterance before decoding: too long (an error), too short, or too quiet to hold speech. */
  #screen(samples: number, sampleRate: number, level: () => number): RecognitionResult | undefined {
    const durationMs = (samples * 1000) / sampleRate;
    if (durationMs > MAX_DURATION_MS) {
      throw new ProviderError('invalid-input', `pocketsphinx: utterance is ${Math.round(durationMs)} ms, the limit is ${MAX_DURATION_MS}`);
    }
    if (durationMs < this.#minDurationMs) return { text: '', confidence: 0, rejected: 'too-short' };
    if (level() < this.#silenceDbfs) return { text: '', confidence: 0, rejected: 'silence' };
    return undefined;
  }

  /** The grammar decode's answer: confident, or rejected with what it heard. */
  #result(grammar: GrammarEntry, out: DecodeResult): RecognitionResult {
    if (!out.text) return { text: '', confidence: 0, rejected: 'no-match' };
    const text = grammar.phraseOf?.get(out.text) ?? out.text;
    const confidence = decodeConfidence(out);
    const words = out.words?.map((w) => ({ text: w.text, confidence: w.p }));
    if (confidence >= this.minConfidence) return { text, confidence, hypothesis: text, words };
    return { text: '', confidence, hypothesis: text, words, rejected: 'low-confidence' };
  }

  /** The looser grammar's words, when the first grammar was not confident; `first` is kept if it finds none. */
  async #recognizeFallback(
    jsgf: string,
    pcm: Int16Array,
    signal: AbortSignal | undefined,
    first: { text: string; confidence: number },
    cmn?: string,
  ): Promise<RecognitionResult> {
    const out = await this.#pool.run<DecodeResult>({ op: 'recognize', jsgf, audio: pcm, phoneLoop: false, cmn }, { signal, transfer: [pcm.buffer as ArrayBuffer] });
    const words = out.words?.map((w) => ({ text: w.text, confidence: w.p })) ?? [];
    if (!out.text || words.length === 0) {
      return first.text ? { text: '', confidence: first.confidence, hypothesis: first.text, rejected: 'low-confidence' } : { text: '', confidence: 0, rejected: 'no-match' };
    }
    return { text: out.text, confidence: wordsConfidence(words), hypothesis: out.text, words, fallback: true };
  }

  async #compilePhrases(phrases: readonly string[]): Promise<PocketSphinxGrammar> {
    if (!Array.isArray(phrases) || phrases.length === 0) throw new ProviderError('invalid-input', 'pocketsphinx: grammar has no phrases');
    let kept = [...phrases];
    let grammar = buildPhraseGrammar(kept);
    if (grammar.phraseOf.size === 0) throw new ProviderError('invalid-input', 'pocketsphinx: no phrase contains a word');
    let { missing } = await this.#pool.run<CheckResult>({ op: 'check', words: grammar.words, jsgf: grammar.jsgf });
    const skipped: { phrase: string; words: string[] }[] = [];
    if (missing.length > 0) {
      if (!this.#skipOov) throw outOfVocabulary(missing, phrases);
      const unknown = new Set(missing);
      kept = [];
      for (const phrase of phrases) {
        const bad = phraseWords(phrase).filter((w) => unknown.has(w));
        if (bad.length > 0) skipped.push({ phrase, words: bad });
        else kept.push(phrase);
      }
      grammar = buildPhraseGrammar(kept);
      if (grammar.phraseOf.size === 0) throw outOfVocabulary(missing, phrases);
      ({ missing } = await this.#pool.run<CheckResult>({ op: 'check', words: grammar.words, jsgf: grammar.jsgf }));
      if (missing.length > 0) throw outOfVocabulary(missing, kept);
    }
    return this.#register(grammar.jsgf, grammar.phraseOf, [...grammar.phraseOf.values()], skipped);
  }

  #register(
    jsgf: string,
    phraseOf: Map<string, string> | undefined,
    phrases: string[],
    skipped: PocketSphinxGrammar['skipped'],
    fallback?: string,
  ): PocketSphinxGrammar {
    const handle: PocketSphinxGrammar = Object.freeze({
      id: `pocketsphinx-grammar-${this.#nextGrammarId++}`,
      provider: this.name,
      phrases: Object.freeze(phrases),
      skipped: Object.freeze(skipped),
    });
    this.#grammars.set(handle, { jsgf, phraseOf, fallback });
    return handle;
  }
}

function checkRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < RECOGNIZER_SAMPLE_RATE) {
    throw new ProviderError('invalid-input', `pocketsphinx: sampleRate ${sampleRate} is not an integer >= ${RECOGNIZER_SAMPLE_RATE}`);
  }
}

function outOfVocabulary(missing: string[], phrases?: readonly string[]): ProviderError {
  const unknown = new Set(missing);
  const affected = phrases?.filter((p) => phraseWords(p).some((w) => unknown.has(w)));
  const where = affected ? ` in ${affected.map((p) => JSON.stringify(p)).join(', ')}` : '';
  return new ProviderError(
    'out-of-vocabulary',
    `pocketsphinx dictionary lacks ${missing.map((w) => JSON.stringify(w)).join(', ')}${where} (spell numbers as words; use common English spellings)`,
    { words: missing, phrases: affected },
  );
}

export function createPocketSphinxStt(options: PocketSphinxOptions = {}): PocketSphinxSpeechToText {
  return new PocketSphinxSpeechToText(options);
}
