// Speech-to-text for caller turns. Recognition starts speculatively as soon as the caller pauses
// (a VAD segment ends), before the turn-taking engine has decided the turn is over: its result
// tells the engine whether words were said (false interruptions, shorter endpointing), and it is
// reused at the end of the turn when no speech came after it, saving the recognition latency.
//
// With a streaming recogniser (`openUtterance`, the offline one) the turn's audio is decoded as it arrives: an
// utterance opens at the caller's speech onset with the ring's audio of the turn so far (pre-roll included), takes
// each frame after, and is finished at the pause or the end of the turn, when only the final search remains. If the
// caller goes on after a pause whose utterance was finished, a new one opens with the turn's audio from the ring, so
// the result always covers the whole turn. A stream that fails, or whose grammar changed meanwhile, gives way to
// recognising the span from the ring: no turn is lost.
import type { CompiledGrammar, RecognitionResult, RejectionReason, SpeechToText, UtteranceStream } from '../providers/types.js';
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
  /** The utterance being streamed: the turn's audio from `fromMs` up to the ring's end. */
  #stream: { fromMs: number; grammar: CompiledGrammar | undefined; utterance: UtteranceStream } | null = null;

  constructor(options: TurnRecognizerOptions) {
    this.#o = options;
  }

  /**
   * The caller speaks again: a speculation in flight misses this speech, so drop it (and its place in the STT queue).
   * `turnFromMs` (where the turn's audio starts in the ring) has a streaming recogniser decode the turn from there on.
   */
  speechStarted(turnFromMs?: number): void {
    this.#epoch++;
    this.#spec?.abort.abort();
    this.#spec = null;
    if (turnFromMs === undefined || !this.#o.stt.openUtterance) return;
    if (this.#stream && Math.abs(this.#stream.fromMs - turnFromMs) <= REUSE_SLACK_MS) return;
    this.#openStream(turnFromMs);
  }

  /** A chunk of caller audio, just written to the ring. */
  write(pcm: Int16Array): void {
    this.#stream?.utterance.write(pcm);
  }

  /** What was heard since the onset opened no turn (noise): stop decoding it. */
  dropStream(): void {
    this.#stream?.utterance.abort();
    this.#stream = null;
  }

  /** The caller paused: recognize the span now. Resolves with the result, or null if they spoke again meanwhile. */
  async speculate(fromMs: number, toMs: number): Promise<TurnTranscript | null> {
    const epoch = this.#epoch;
    const abort = new AbortController();
    const result = this.#finishStream(fromMs, toMs) ?? this.#run(fromMs, toMs, abort.signal);
    this.#spec = { fromMs, toMs, epoch, result, abort };
    const transcript = await result;
    return epoch === this.#epoch && !abort.signal.aborted ? transcript : null;
  }

  /** The turn's transcript: the speculative one if it covers the span and nothing was said after it, else a new recognition. */
  recognize(fromMs: number, toMs: number): Promise<TurnTranscript> {
    const s = this.#spec;
    this.#spec = null;
    if (s && s.epoch === this.#epoch && Math.abs(s.fromMs - fromMs) <= REUSE_SLACK_MS && s.toMs >= toMs - REUSE_SLACK_MS) {
      this.dropStream();
      return s.result;
    }
    s?.abort.abort();
    return this.#finishStream(fromMs, toMs) ?? this.#run(fromMs, toMs);
  }

  /** Forget speculation and the stream (the turn they belonged to is over). */
  reset(): void {
    this.#spec?.abort.abort();
    this.#spec = null;
    this.dropStream();
  }

  #openStream(fromMs: number): void {
    const { stt, ring, grammar } = this.#o;
    this.dropStream();
    const g = grammar();
    try {
      const utterance = stt.openUtterance!(ring.sampleRate, { grammar: g, affinity: this });
      utterance.write(ring.slice(fromMs, ring.endMs));
      this.#stream = { fromMs, grammar: g, utterance };
    } catch (err) {
      // Recognised from the ring at the pause or the end of the turn instead.
      this.#o.onError?.(err);
    }
  }

  /** The streamed utterance's result for the span, if one covers it (with the grammar still current); else undefined. */
  #finishStream(fromMs: number, toMs: number): Promise<TurnTranscript> | undefined {
    const s = this.#stream;
    this.#stream = null;
    if (!s) return undefined;
    if (Math.abs(s.fromMs - fromMs) > REUSE_SLACK_MS || s.grammar !== this.#o.grammar()) {
      s.utterance.abort();
      return undefined;
    }
    const { now, ring } = this.#o;
    const t0 = now();
    const streamedToMs = ring.endMs;
    return s.utterance.finish().then(
      (r) => transcript(r, now() - t0, fromMs, Math.max(toMs, streamedToMs)),
      (err: unknown) => {
        this.#o.onError?.(err);
        return this.#run(fromMs, toMs);
      },
    );
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
    return transcript(r, now() - t0, fromMs, toMs);
  }
}

function transcript(r: RecognitionResult, ms: number, fromMs: number, toMs: number): TurnTranscript {
  return { text: r.text, confidence: r.confidence, hypothesis: r.hypothesis, words: r.words, fallback: r.fallback, rejected: r.rejected, ms, fromMs, toMs };
}
