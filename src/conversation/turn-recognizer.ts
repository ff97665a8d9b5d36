// Speech-to-text for caller turns. Recognition starts speculatively as soon as the caller pauses
// (a VAD segment ends), before the turn-taking engine has decided the turn is over: its result
// tells the engine whether words were said (false interruptions, shorter endpointing), and it is
// reused at the end of the turn when no speech came after it, saving the recognition latency.
import type { CompiledGrammar, RecognitionResult, RejectionReason, SpeechToText } from '../providers/types.js';
import type { AudioRing } from './audio-ring.js';

export interface TurnTranscript {
  /** '' when rejected. */
  text: string;
  confidence: number;
  /** The recogniser's best guess, also when rejected (for the call record). */
  hypothesis?: string;
  /** The hypothesis word by word with confidences (the digits of a number), where the recogniser gives them. */
  words?: RecognitionResult['words'];
  /** The words came from the grammar's loose fallback, not one of its phrases. */
  fallback?: boolean;
  rejected?: RejectionReason | 'error';
  /** How long recognition took. */
  ms: number;
  /** The audio span recognized, stream ms. */
  fromMs: number;
  toMs: number;
}

/** Speculative results are reused when they start within this of the turn and cover its end. */
const REUSE_SLACK_MS = 250;

export interface TurnRecognizerOptions {
  stt: SpeechToText;
  ring: AudioRing;
  /** The grammar for the next turn (the brain's current one). */
  grammar(): CompiledGrammar | undefined;
  now(): number;
  onError?(err: unknown): void;
}

export class TurnRecognizer {
  readonly #o: TurnRecognizerOptions;
  /** Bumped at each speech onset: results older than the last onset miss part of the turn. */
  #epoch = 0;
  #spec: { fromMs: number; toMs: number; epoch: number; result: Promise<TurnTranscript>; abort: AbortController } | null = null;

  constructor(options: TurnRecognizerOptions) {
    this.#o = options;
  }

  /** The caller speaks again: a speculation in flight misses this speech, so drop it (and its place in the STT queue). */
  speechStarted(): void {
    this.#epoch++;
    this.#spec?.abort.abort();
    this.#spec = null;
  }

  /** The caller paused: recognize the span now. Resolves with the result, or null if they spoke again meanwhile. */
  async speculate(fromMs: number, toMs: number): Promise<TurnTranscript | null> {
    const epoch = this.#epoch;
    const abort = new AbortController();
    const result = this.#run(fromMs, toMs, abort.signal);
    this.#spec = { fromMs, toMs, epoch, result, abort };
    const transcript = await result;
    return epoch === this.#epoch && !abort.signal.aborted ? transcript : null;
  }

  /** The turn's transcript: the speculative one if it covers the span and nothing was said after it, else a new recognition. */
  recognize(fromMs: number, toMs: number): Promise<TurnTranscript> {
    const s = this.#spec;
    this.#spec = null;
    if (s && s.epoch === this.#epoch && Math.abs(s.fromMs - fromMs) <= REUSE_SLACK_MS && s.toMs >= toMs - REUSE_SLACK_MS) return s.result;
    s?.abort.abort();
    return this.#run(fromMs, toMs);
  }

  /** Forget speculation (the turn it belonged to is over). */
  reset(): void {
    this.#spec?.abort.abort();
    this.#spec = null;
  }

  async #run(fromMs: number, toMs: number, signal?: AbortSignal): Promise<TurnTranscript> {
    const { stt, ring, grammar, now } = this.#o;
    const audio = ring.slice(fromMs, toMs);
    const t0 = now();
    let r: RecognitionResult;
    try {
      r = await stt.recognize(audio, ring.sampleRate, { grammar: grammar(), signal });
    } catch (err) {
      if (!signal?.aborted) this.#o.onError?.(err);
      return { text: '', confidence: 0, rejected: 'error', ms: now() - t0, fromMs, toMs };
    }
    return { text: r.text, confidence: r.confidence, hypothesis: r.hypothesis, words: r.words, fallback: r.fallback, rejected: r.rejected, ms: now() - t0, fromMs, toMs };
  }
}
