// Caller input: the caller's audio in (gaps filled, voice activity to turn-taking, kept in a ring
// for the recogniser), the turn's words (a live recogniser's transcripts, or the turn recognised
// at its end) and the hand-off of a finished turn to the brain.
import { GapFiller, feedSilence } from '../audio/gap-filler.js';
import { SpeechDetector, type FrameActivity } from '../audio/speech-detector.js';
import type { VadRuntime, VadSampleRate } from '../audio/vad.js';
import type { CompiledGrammar, SpeechToText } from '../providers/types.js';
import { AudioRing } from './audio-ring.js';
import type { BrainInput } from './brain.js';
import type { ConversationContext } from './conversation-context.js';
import type { ConversationSettings, LiveSttSettings } from './conversation-settings.js';
import { LiveTranscriber } from './live-transcriber.js';
import { recordProviderFailure } from './provider-failure.js';
import type { Reply } from './reply.js';
import { TurnRecognizer, type TurnTranscript } from './turn-recognizer.js';
import type { TurnAction, TurnInput } from './turn-taking.js';

/** Caller audio kept before a turn's first voiced frame and after its last, for the recognizer. */
const PRE_ROLL_MS = 200;
const POST_ROLL_MS = 150;
/** A VAD segment ends after this much unvoiced audio; that pause starts speculative recognition. */
const PAUSE_MS = 150;
/** Fewer words from the recogniser's loose fallback are not taken as speech (noise decodes to a word or two). */
const MIN_FALLBACK_WORDS = 3;

export interface CallerInputOptions {
  sampleRate: number;
  vadRuntime: VadRuntime;
  vad: ConversationSettings['vad'];
  /** The longest caller turn turn-taking allows (null: none), so its audio fits the ring. */
  maxTurnMs: number | null;
  stt?: SpeechToText;
  grammars?: ReadonlyMap<string, CompiledGrammar>;
  live?: LiveSttSettings;
  /** Each VAD frame, as turn-taking input (one object, reused). */
  onVad(input: TurnInput): void;
}

type EndOfTurn = Extract<TurnAction, { type: 'endOfTurn' }>;
/** The ring's span of a turn's audio, pre- and post-roll included (stream time). */
export interface TurnSpan {
  fromMs: number;
  toMs: number;
}

export class CallerInput {
  readonly #ctx: ConversationContext;
  readonly #gaps: GapFiller;
  readonly #ring: AudioRing;
  readonly #detector: SpeechDetector;
  readonly #vadFrameMs: number;
  readonly #onVad: (input: TurnInput) => void;
  #live: LiveTranscriber | null = null;
  readonly #liveSettings: LiveSttSettings | undefined;
  #recognizer: TurnRecognizer | null = null;
  #grammars: ReadonlyMap<string, CompiledGrammar>;
  /** Reused for every VAD frame: the per-frame path allocates nothing. */
  readonly #vadInput = { type: 'vad' as const, nowMs: 0, voiced: false, levelDbfs: 0, startMs: 0 };
  readonly #feedAudio = (pcm: Int16Array) => this.#push(pcm);
  /** Host time minus stream time, from the latest chunk. */
  #offset = 0;
  /** Stream time where the current caller turn's audio begins (first onset since the last turn). */
  #turnAudioStartMs: number | null = null;
  #lastTurnAudioStartMs: number | null = null;
  #lastCallerTurn: { seq: number; startMs: number } | null = null;
  /** A caller turn with words has been heard (language detection decides on the first). */
  #heardWords = false;

  constructor(ctx: ConversationContext, options: CallerInputOptions) {
    this.#ctx = ctx;
    const rate = options.sampleRate;
    this.#onVad = options.onVad;
    this.#grammars = options.grammars ?? new Map();
    this.#liveSettings = options.live;
    this.#gaps = new GapFiller(rate);
    // A turn's audio, plus pre-roll and slack, must still be in the ring when the turn ends.
    this.#ring = new AudioRing(rate, Math.min(options.maxTurnMs ?? 30_000, 30_000) + 2000);
    this.#detector = new SpeechDetector(options.vadRuntime, {
      sampleRate: rate as VadSampleRate,
      ...options.vad,
      hangoverMs: PAUSE_MS,
      // Segments only mark pauses here; their audio is not used, so keep their buffers small.
      maxSegmentMs: 1000,
      onFrame: (f) => this.#onFrame(f),
    });
    this.#vadFrameMs = this.#detector.vad.frameMs;
    const live = options.live;
    if (live) {
      this.#live = new LiveTranscriber({
        stt: live.stt,
        sampleRate: rate,
        language: live.language,
        keywords: live.keywords,
        signal: ctx.call.signal,
        now: () => ctx.clock.now(),
        onTranscript: (text, final) => ctx.feed({ type: 'transcript', nowMs: ctx.clock.now(), text, final }),
        onFailure: (report) => recordProviderFailure(ctx.call, report),
        onDead: () => ctx.providerFailed(null, { provider: live.stt.name, stage: 'stt', code: 'dead', message: 'the stream could not be reopened', retrying: false }),
      });
    } else {
      if (!options.stt) throw new Error('Conversation: a recogniser (stt) or a live one (live) is required');
      this.#recognizer = this.#newRecognizer(options.stt);
    }
  }

  /** A chunk of caller audio; a gap before it (by its timestamp) is filled with silence. */
  write(pcm: Int16Array, timestampMs: number | undefined): void {
    const gap = this.#gaps.gapBefore(timestampMs, pcm.length);
    if (gap > 0) feedSilence(gap, this.#feedAudio);
    this.#push(pcm);
  }

  /** Turn-taking ended the caller's turn: the span of its audio; the next turn starts afresh. */
  endTurn(a: EndOfTurn): TurnSpan {
    const span = { fromMs: a.turnStartMs - this.#offset - PRE_ROLL_MS, toMs: Math.min(a.turnEndMs - this.#offset + POST_ROLL_MS, this.#ring.endMs) };
    this.#lastTurnAudioStartMs = this.#turnAudioStartMs;
    this.#turnAudioStartMs = null;
    return span;
  }

  /** The reply to the last turn was cancelled because the caller went on: their next turn continues it. */
  continueTurn(): void {
    this.#turnAudioStartMs = this.#lastTurnAudioStartMs;
  }

  /** A cut reply resumes (the interruption was noise): what was heard of it is no turn. */
  discardTurn(): void {
    this.#turnAudioStartMs = null;
    this.#recognizer?.reset();
  }

  /** Recognises the turn, writes it to the transcript and the brain's context, then has `reply` answer it. */
  async answerTurn(reply: Reply, a: EndOfTurn, span: TurnSpan): Promise<void> {
    const ctx = this.#ctx;
    const { turnStartMs: startMs, turnEndMs: endMs, continuation } = a;
    reply.answersSpeech = true;
    const t = await this.#transcribe(span);
    if (reply.abort.signal.aborted || ctx.ended) return;
    ctx.record.latency(reply, 'turn.transcript', {
      sttMs: Math.round(t.ms),
      text: t.text,
      confidence: round3(t.confidence),
      rejected: t.rejected,
      hypothesis: t.hypothesis,
      fallback: t.fallback,
      words: t.words?.map((w) => `${w.text}:${round3(w.confidence)}`).join(' '),
    });
    const text = t.text || '[unrecognised]';
    // The transcript keeps what a rejected turn sounded like, so a misunderstanding can be traced from the call.
    const recorded = t.text || unrecognisedRecord(t);
    const turn = { text: recorded, startedAt: ctx.epoch(startMs), endedAt: ctx.epoch(endMs) };
    const last = this.#lastCallerTurn;
    if (continuation && last && last.startMs === startMs) {
      ctx.call.updateTurn(last.seq, { text: recorded, endedAt: turn.endedAt });
      const entry = ctx.history.findLast((e) => e.role === 'caller');
      if (entry) entry.text = text;
    } else {
      this.#lastCallerTurn = { seq: ctx.call.addTurn({ role: 'caller', ...turn }), startMs };
      ctx.history.push({ role: 'caller', text });
    }
    if (t.text && this.#switchesLanguage(reply, t.text, t.language)) return;
    const input: BrainInput = t.text ? { type: 'speech', text: t.text, confidence: t.confidence } : { type: 'unrecognised', reason: t.rejected ?? 'no-match' };
    await ctx.respond(reply, input);
  }

  /**
   * The caller's first words were heard in another language the agent detects (`detectLanguage`): the agent of
   * that language answers them. Only the first turn decides: Hinglish flits between languages turn by turn.
   */
  #switchesLanguage(reply: Reply, text: string, heard: string | undefined): boolean {
    const ctx = this.#ctx;
    const first = !this.#heardWords;
    this.#heardWords = true;
    const { language, detectLanguage = [] } = ctx.settings;
    if (!first || heard === undefined || ctx.failedOver || sameLanguage(heard, language)) return false;
    const tag = detectLanguage.find((l) => sameLanguage(l, heard));
    if (tag === undefined) return false;
    if (ctx.current === reply) ctx.current = null;
    return ctx.session.switchLanguage?.({ language: tag, via: 'detected', turn: text }) ?? false;
  }

  /** A cloud recogniser failed for good: stop streaming to it. */
  closeLive(): void {
    this.#live?.close();
    this.#live = null;
  }

  /** From now on each turn is recognised at its end by `stt` (the offline recogniser). */
  recogniseWith(stt: SpeechToText, grammars: ReadonlyMap<string, CompiledGrammar>): void {
    this.#grammars = grammars;
    this.#recognizer?.reset();
    this.#recognizer = this.#newRecognizer(stt);
  }

  /** The call ended. */
  close(): void {
    this.closeLive();
    this.#recognizer?.reset();
    this.#detector.close();
    this.#ring.release();
    if (this.#gaps.gaps > 0) this.#ctx.call.record('caller-audio-gaps', { gaps: this.#gaps.gaps, filledMs: Math.round(this.#gaps.filledMs) });
  }

  #newRecognizer(stt: SpeechToText): TurnRecognizer {
    const ctx = this.#ctx;
    return new TurnRecognizer({
      stt,
      ring: this.#ring,
      grammar: () => this.#grammars.get(ctx.brain.grammarKey()),
      now: () => ctx.clock.now(),
      onError: (err) => ctx.call.log.warn({ err }, 'speech recognition failed'),
    });
  }

  #push(pcm: Int16Array): void {
    this.#ring.write(pcm);
    this.#live?.write(pcm);
    // A streaming recogniser decodes the turn as it comes (only while an utterance is open).
    if (!this.#live) this.#recognizer?.write(pcm);
    this.#offset = this.#ctx.clock.now() - this.#ring.endMs;
    const events = this.#detector.push(pcm);
    for (const ev of events) {
      if (ev.type === 'speech-start') {
        this.#turnAudioStartMs ??= ev.startMs;
        this.#recognizer?.speechStarted(this.#live ? undefined : this.#turnAudioStartMs - PRE_ROLL_MS);
      } else if (ev.type === 'speech-end') {
        if (this.#ctx.turnState() === 'userSpeaking' && this.#turnAudioStartMs !== null) {
          // A live recogniser sends its transcripts as they come; the offline one is asked at pauses.
          if (this.#recognizer && !this.#live) void this.#speculate(this.#turnAudioStartMs - PRE_ROLL_MS, Math.min(ev.endMs + POST_ROLL_MS, this.#ring.endMs));
        } else {
          this.#turnAudioStartMs = null; // noise that opened no turn is not the start of the next one
          this.#recognizer?.dropStream();
        }
      }
    }
  }

  #onFrame(f: FrameActivity): void {
    const input = this.#vadInput;
    input.startMs = f.startMs + this.#offset;
    input.nowMs = input.startMs + this.#vadFrameMs;
    input.voiced = f.voiced;
    input.levelDbfs = f.levelDbfs;
    this.#onVad(input);
  }

  async #speculate(fromMs: number, toMs: number): Promise<void> {
    // Until its words are known, the pause's silence alone does not end the turn (see turn-verdict).
    this.#ctx.feed({ type: 'recognizing', nowMs: this.#ctx.clock.now(), pending: true });
    try {
      await this.#speculateWords(fromMs, toMs);
    } finally {
      if (!this.#ctx.ended) this.#ctx.feed({ type: 'recognizing', nowMs: this.#ctx.clock.now(), pending: false });
    }
  }

  async #speculateWords(fromMs: number, toMs: number): Promise<void> {
    const t = await this.#recognizer!.speculate(fromMs, toMs);
    if (!t || this.#ctx.ended || t.text === '') return;
    // A cough or a click comes out of the word loop as a word or two: not yet words said.
    if (t.fallback && t.text.split(/\s+/).length < MIN_FALLBACK_WORDS) return;
    // Words were said: an interruption is real. A phrase (not the loose fallback's words) is a confident final:
    // the turn may end sooner; a pause inside a longer sentence must not end it.
    // Words that stop partway through a number are a final too, one that makes the turn wait longer for the rest.
    const complete = this.#ctx.brain.isComplete?.(t.text);
    this.#ctx.feed({ type: 'transcript', nowMs: this.#ctx.clock.now(), text: t.text, final: !t.fallback || complete === false, complete });
  }

  /** The turn's words: from the live recogniser (already streaming), else recognised now from the ring. */
  async #transcribe({ fromMs, toMs }: TurnSpan): Promise<Pick<TurnTranscript, 'text' | 'confidence' | 'rejected' | 'ms' | 'hypothesis' | 'words' | 'fallback'> & { language?: string }> {
    const live = this.#live;
    if (live) {
      const t = await live.turnText(fromMs, this.#liveSettings!.finalTranscriptMs);
      // Transcripts that were still interim when the bound passed are used, but noted.
      if (!t.complete) this.#ctx.call.record('stt.finalize-timeout', { waitedMs: Math.round(t.waitedMs) });
      return { text: t.text, confidence: t.confidence, rejected: t.text ? undefined : 'no-match', ms: t.waitedMs, language: t.language };
    }
    return this.#recognizer!.recognize(fromMs, toMs);
  }
}

/** Same primary language (`en-IN` and `en-US` are both English). */
function sameLanguage(a: string, b: string | undefined): boolean {
  return b !== undefined && a.split('-')[0]!.toLowerCase() === b.split('-')[0]!.toLowerCase();
}

/** A rejected turn in the transcript: `[unrecognised: "what are your hours" 0.31 low-confidence]`. */
export function unrecognisedRecord(t: Pick<TurnTranscript, 'confidence' | 'rejected' | 'hypothesis'>): string {
  const parts = [t.hypothesis ? JSON.stringify(t.hypothesis) : null, t.hypothesis ? round3(t.confidence).toFixed(2) : null, t.rejected ?? null];
  const detail = parts.filter((p) => p !== null).join(' ');
  return detail ? `[unrecognised: ${detail}]` : '[unrecognised]';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
