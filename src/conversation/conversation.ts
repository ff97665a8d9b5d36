// The conversation engine: one per call, the host of the turn-taking engine.
//
//   caller audio -> gap filler -> SpeechDetector (VAD frames) -> TurnTaker
//   end of turn  -> STT (the brain's grammar) -> brain -> reply text -> TTS -> play + mark per sentence
//
// With a streaming recogniser (the cloud cascade) caller audio also goes to it as it arrives, its
// transcripts feed TurnTaker, and a turn's text is ready when the turn ends. A streamed reply (an
// LLM's) is cut into sentences as it is generated and each sentence's audio is streamed from the TTS
// engine to the call, so the first words play before the model has finished. One AbortController
// per reply stops all of it (model, tools, synthesis) at a barge-in. A cloud provider that fails
// for good (after its stage's one retry) gets a cached apology in an offline voice, then the offline
// brain takes over, or the caller is handed over.
//
// It carries out TurnTaker's actions (docs/turn-taking.md): barge-in clears the call and cuts the
// reply where the caller stopped hearing it; a false interruption resumes it from the first unheard
// sentence; idle prompts, the call-length limit, keypad input, hang-up and transfer. Every caller and
// agent turn goes to the transcript, and each reply's latency stages to the call's timeline.
import type { CallControl, AgentSession, EndReason } from './call-contract.js';
import type { BrainInput, BrainOutput, BrainReply, BrainSession, ConversationEntry, ReplyAction, StreamedReply } from './brain.js';
import { GapFiller, feedSilence } from '../audio/gap-filler.js';
import { SpeechDetector, type FrameActivity } from '../audio/speech-detector.js';
import type { VadMode, VadRuntime, VadSampleRate } from '../audio/vad.js';
import { realScheduler, type Scheduler, type TimerHandle } from '../clock/scheduler.js';
import { defaultFrameBytes } from '../exotel/frame-rules.js';
import { isRetryable } from '../providers/errors.js';
import { SentenceChunker } from '../providers/text/sentences.js';
import type { CompiledGrammar, SpeechToText, StreamingSpeechToText } from '../providers/types.js';
import { AudioRing } from './audio-ring.js';
import { LiveTranscriber } from './live-transcriber.js';
import { Playback, type PlaybackHooks } from './playback.js';
import { ProviderFailure, failureReport, recordProviderFailure, type ProviderFailureReport } from './provider-failure.js';
import { StreamPlayback } from './stream-playback.js';
import { TurnRecognizer, type TurnTranscript } from './turn-recognizer.js';
import { TurnTaker, type TurnAction, type TurnInput, type TurnTakingConfig } from './turn-taking.js';
import { VoiceBank, type VoiceSpec } from './voice-bank.js';

export interface ConversationSettings {
  turnTaking: Partial<TurnTakingConfig>;
  vad: { mode?: VadMode; energyFloorDbfs?: number };
  /** The agent's voice (a reply may name another). */
  voice: VoiceSpec;
  /** Said before hanging up a silent call; without it the call just ends. */
  idleGoodbye?: string;
  /** Said when the call reaches its maximum length. */
  maxDurationWrapUp?: string;
  /** Said when a reply could not be produced. */
  apology: string;
  /** Stream each sentence's audio from the TTS engine as it is synthesized (cloud voices). */
  streaming?: { firstByteTimeoutMs: number };
}

/** Streaming recognition of everything the caller says (cloud STT), instead of recognising each turn at its end. */
export interface LiveSttSettings {
  stt: StreamingSpeechToText;
  language?: string;
  keywords?: readonly string[];
  /** How long the end of a turn waits for the provider to finalize text that is not final yet. */
  finalTranscriptMs: number;
}

/** What happens when a cloud provider fails for good. */
export interface Failover {
  /** `fallback`: the offline brain carries on (needs `offline`); `transfer`: hand the caller over. */
  policy: 'fallback' | 'transfer';
  /** A voice that needs no network; its lines are cached. */
  voice: VoiceSpec;
  apology: string;
  handover: string;
  offline?: { brain: BrainSession; stt: SpeechToText; grammars: ReadonlyMap<string, CompiledGrammar> };
}

export interface ConversationDeps {
  call: CallControl;
  brain: BrainSession;
  /** Recognises each caller turn at its end; required unless `live`. */
  stt?: SpeechToText;
  /** The brain's grammars, compiled by `stt`, by key. */
  grammars?: ReadonlyMap<string, CompiledGrammar>;
  live?: LiveSttSettings;
  failover?: Failover;
  voices: VoiceBank;
  vadRuntime: VadRuntime;
  settings: ConversationSettings;
  /** Clock and timers (default: real time). */
  scheduler?: Scheduler;
}

/** Caller audio kept before a turn's first voiced frame and after its last, for the recognizer. */
const PRE_ROLL_MS = 200;
const POST_ROLL_MS = 150;
/** A VAD segment ends after this much unvoiced audio; that pause starts speculative recognition. */
const PAUSE_MS = 150;

type EndAs = { reason: Extract<EndReason, 'bot-hangup' | 'transfer' | 'max-duration'>; detail: string };

/** Latency stages of a reply (ms since its origin), as the timeline's `turn.latency` lists them. */
const LATENCY_STAGES: Record<string, string> = {
  'turn.transcript': 'final-transcript',
  'turn.first-token': 'first-llm-token',
  'turn.first-audio': 'first-tts-byte',
  'turn.first-frame': 'first-frame',
  'turn.first-mark': 'first-mark',
};

interface Reply {
  id: string;
  greeting: boolean;
  /** Host time latency is measured from: end of the caller's speech (or of the call's start). */
  originMs: number;
  abort: AbortController;
  /** Hang up once it has been heard (turn-taking is already stopped). */
  endAs: EndAs | null;
  text: string;
  playback: Playback | StreamPlayback | null;
  voice: VoiceSpec | null;
  /** What the caller said that this reply answers (for the offline brain, if a provider fails). */
  input: BrainInput | null;
  /** It answers caller speech: its latency stages go to the metrics. */
  answersSpeech: boolean;
  latency: Record<string, number>;
  latencyRecorded: boolean;
  /** Its agent turn in the transcript, once it started playing. */
  turnSeq: number | null;
  history: ConversationEntry | null;
  /** Leading sentences heard when it was last cut. */
  heard: number;
  resumed: boolean;
  firstMark: boolean;
}

export class Conversation implements AgentSession {
  readonly #call: CallControl;
  #brain: BrainSession;
  readonly #voices: VoiceBank;
  /** The agent's voice (the failover voice once offline). */
  #voice: VoiceSpec;
  #live: LiveTranscriber | null = null;
  readonly #liveSettings: LiveSttSettings | undefined;
  readonly #failover: Failover | undefined;
  /** A provider failed for good: the call is offline (or being handed over) now. */
  #failedOver = false;
  readonly #settings: ConversationSettings;
  readonly #clock: Scheduler;
  readonly #turns: TurnTaker;
  readonly #detector: SpeechDetector;
  readonly #gaps: GapFiller;
  readonly #ring: AudioRing;
  #recognizer: TurnRecognizer | null = null;
  #grammars: ReadonlyMap<string, CompiledGrammar>;
  readonly #rate: number;
  readonly #frameSamples: number;
  readonly #frameMs: number;
  readonly #vadFrameMs: number;
  readonly #epochOffset: number;
  readonly #history: ConversationEntry[] = [];
  /** Reused for every VAD frame: the per-frame path allocates nothing. */
  readonly #vadInput = { type: 'vad' as const, nowMs: 0, voiced: false, levelDbfs: 0, startMs: 0 };
  readonly #feedAudio = (pcm: Int16Array) => this.#push(pcm);
  /** Host time minus stream time, from the latest chunk. */
  #offset = 0;
  #timer: TimerHandle | null = null;
  #timerAt: number | null = null;
  #replySeq = 0;
  /** The reply being generated or played. */
  #current: Reply | null = null;
  /** A reply cut by speech, waiting for the verdict: resume, or stay cut. */
  #cut: Reply | null = null;
  /** Stream time where the current caller turn's audio begins (first onset since the last turn). */
  #turnAudioStartMs: number | null = null;
  #lastTurnAudioStartMs: number | null = null;
  #lastCallerTurn: { seq: number; startMs: number } | null = null;
  #keys = '';
  #keysStartedAt = 0;
  #keyTimer: TimerHandle | null = null;
  #marksEchoed = false;
  #markTimeouts = 0;
  #ended = false;

  constructor(deps: ConversationDeps) {
    const { call, settings } = deps;
    this.#call = call;
    this.#brain = deps.brain;
    this.#voices = deps.voices;
    this.#settings = settings;
    this.#voice = settings.voice;
    this.#grammars = deps.grammars ?? new Map();
    this.#liveSettings = deps.live;
    this.#failover = deps.failover;
    this.#clock = deps.scheduler ?? realScheduler;
    this.#rate = call.info.sampleRate;
    this.#frameSamples = defaultFrameBytes(this.#rate) / 2;
    this.#frameMs = (this.#frameSamples * 1000) / this.#rate;
    this.#epochOffset = Date.now() - this.#clock.now();
    this.#turns = new TurnTaker(settings.turnTaking);
    this.#gaps = new GapFiller(this.#rate);
    // A turn's audio, plus pre-roll and slack, must still be in the ring when the turn ends.
    this.#ring = new AudioRing(this.#rate, Math.min(this.#turns.config.maxTurnMs ?? 30_000, 30_000) + 2000);
    this.#detector = new SpeechDetector(deps.vadRuntime, {
      sampleRate: this.#rate as VadSampleRate,
      ...settings.vad,
      hangoverMs: PAUSE_MS,
      // Segments only mark pauses here; their audio is not used, so keep their buffers small.
      maxSegmentMs: 1000,
      onFrame: (f) => this.#onFrame(f),
    });
    this.#vadFrameMs = this.#detector.vad.frameMs;
    if (deps.live) {
      const live = deps.live;
      this.#live = new LiveTranscriber({
        stt: live.stt,
        sampleRate: this.#rate,
        language: live.language,
        keywords: live.keywords,
        signal: call.signal,
        now: () => this.#clock.now(),
        onTranscript: (text, final) => this.#feed({ type: 'transcript', nowMs: this.#clock.now(), text, final }),
        onFailure: (report) => recordProviderFailure(this.#call, report),
        onDead: () => this.#providerFailed(null, { provider: live.stt.name, stage: 'stt', code: 'dead', message: 'the stream could not be reopened', retrying: false }),
      });
    } else {
      if (!deps.stt) throw new Error('Conversation: a recogniser (stt) or a live one (live) is required');
      this.#recognizer = this.#newRecognizer(deps.stt);
    }
    this.#feed({ type: 'callStarted', nowMs: this.#clock.now() });
    const greeting = this.#newReply(this.#clock.now(), true);
    this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: greeting.id, greeting: true });
    this.#deliver(greeting, this.#brain.greeting());
  }

  #newRecognizer(stt: SpeechToText): TurnRecognizer {
    return new TurnRecognizer({
      stt,
      ring: this.#ring,
      grammar: () => this.#grammars.get(this.#brain.grammarKey()),
      now: () => this.#clock.now(),
      onError: (err) => this.#call.log.warn({ err }, 'speech recognition failed'),
    });
  }

  // ---- AgentSession ----

  onAudio(pcm: Int16Array, timestampMs: number | undefined): void {
    if (this.#ended) return;
    const gap = this.#gaps.gapBefore(timestampMs, pcm.length);
    if (gap > 0) feedSilence(gap, this.#feedAudio);
    this.#push(pcm);
    this.#arm();
  }

  onDtmf(digit: string): void {
    this.#feed({ type: 'dtmf', nowMs: this.#clock.now(), digit });
  }

  onEnd(reason: EndReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#turns.handle({ type: 'callEnded', nowMs: this.#clock.now() });
    this.#disarm();
    this.#clearKeyTimer();
    // The caller hung up mid-reply: the transcript keeps what they heard (a cut reply already has it).
    const r = this.#current;
    if (r) {
      r.abort.abort();
      // A reply whose last mark echo is still on its way played out: it was heard whole.
      if (r.playback && !r.playback.finished) {
        if (this.#playedOut(r)) {
          if (r.turnSeq !== null) this.#call.updateTurn(r.turnSeq, { text: r.text, endedAt: Date.now() });
        } else {
          const heard = r.playback.cut(this.#call.playedMs());
          if (r.turnSeq !== null && heard < r.playback.ledger.sentences.length) this.#recordCut(r, heard);
        }
      }
      this.#recordLatency(r);
    }
    this.#cut?.abort.abort();
    this.#current = this.#cut = null;
    this.#live?.close();
    this.#live = null;
    this.#detector.close();
    if (this.#gaps.gaps > 0) this.#call.record('caller-audio-gaps', { gaps: this.#gaps.gaps, filledMs: Math.round(this.#gaps.filledMs) });
    this.#call.log.debug({ reason }, 'conversation ended');
  }

  // ---- audio in ----

  #push(pcm: Int16Array): void {
    this.#ring.write(pcm);
    this.#live?.write(pcm);
    this.#offset = this.#clock.now() - this.#ring.endMs;
    const events = this.#detector.push(pcm);
    for (const ev of events) {
      if (ev.type === 'speech-start') {
        this.#recognizer?.speechStarted();
        this.#turnAudioStartMs ??= ev.startMs;
      } else if (ev.type === 'speech-end') {
        if (this.#turns.state === 'userSpeaking' && this.#turnAudioStartMs !== null) {
          // A live recogniser sends its transcripts as they come; the offline one is asked at pauses.
          if (this.#recognizer && !this.#live) void this.#speculate(this.#turnAudioStartMs - PRE_ROLL_MS, Math.min(ev.endMs + POST_ROLL_MS, this.#ring.endMs));
        } else {
          this.#turnAudioStartMs = null; // noise that opened no turn is not the start of the next one
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
    this.#act(this.#turns.handle(input));
  }

  async #speculate(fromMs: number, toMs: number): Promise<void> {
    const t = await this.#recognizer!.speculate(fromMs, toMs);
    if (!t || this.#ended || t.text === '') return;
    // Words were said: an interruption is real, and the turn may end sooner.
    this.#feed({ type: 'transcript', nowMs: this.#clock.now(), text: t.text, final: true });
  }

  // ---- turn-taking ----

  #feed(input: TurnInput): void {
    if (this.#ended) return;
    this.#act(this.#turns.handle(input));
    this.#arm();
  }

  #act(actions: readonly TurnAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'endOfTurn':
          this.#onEndOfTurn(a);
          break;
        case 'bargeIn':
          this.#onBargeIn(a);
          break;
        case 'cancelReply':
          this.#onCancelReply(a.replyId);
          break;
        case 'resumeReply':
          this.#onResume(a.replyId);
          break;
        case 'idlePrompt': {
          const reply = this.#newReply(a.atMs, false);
          this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: reply.id });
          void this.#respond(reply, { type: 'idle', count: a.count });
          break;
        }
        case 'hangup':
          this.#onHangup(a.reason, a.wrapUp);
          break;
        case 'dtmf':
          this.#onKey(a.digit);
          break;
      }
    }
  }

  /**
   * One timer, at the engine's next deadline (idle, max duration, endpoint when audio stalls). A timer
   * already set earlier stays: ticking early is harmless and re-arms, while moving it on every audio
   * chunk (deadlines move as the caller speaks) would churn timers.
   */
  #arm(): void {
    const at = this.#ended ? null : this.#turns.nextDeadline();
    if (at === null || (this.#timerAt !== null && this.#timerAt <= at)) return;
    this.#disarm();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = this.#timerAt = null;
      if (this.#ended) return;
      this.#act(this.#turns.tick(this.#clock.now()));
      this.#arm();
    }, at - this.#clock.now());
  }

  #disarm(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = this.#timerAt = null;
  }

  #onEndOfTurn(a: Extract<TurnAction, { type: 'endOfTurn' }>): void {
    if (a.interruptedReplyId !== null && this.#cut?.id === a.interruptedReplyId) this.#cut = null; // stays cut
    const fromMs = a.turnStartMs - this.#offset - PRE_ROLL_MS;
    const toMs = Math.min(a.turnEndMs - this.#offset + POST_ROLL_MS, this.#ring.endMs);
    this.#lastTurnAudioStartMs = this.#turnAudioStartMs;
    this.#turnAudioStartMs = null;
    const reply = this.#newReply(a.turnEndMs, false);
    this.#call.record('turn.speech-end', {
      replyId: reply.id,
      endpointMs: Math.round(a.atMs - a.turnEndMs),
      reason: a.reason,
      continuation: a.continuation,
      speechMs: Math.round(a.turnEndMs - a.turnStartMs),
    });
    this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: reply.id });
    void this.#answerTurn(reply, a.turnStartMs, a.turnEndMs, a.continuation, fromMs, toMs);
  }

  async #answerTurn(reply: Reply, startMs: number, endMs: number, continuation: boolean, fromMs: number, toMs: number): Promise<void> {
    reply.answersSpeech = true;
    const t = await this.#transcribe(fromMs, toMs);
    if (reply.abort.signal.aborted || this.#ended) return;
    this.#latency(reply, 'turn.transcript', { sttMs: Math.round(t.ms), text: t.text, confidence: round3(t.confidence), rejected: t.rejected });
    const text = t.text || '[unrecognised]';
    const turn = { text, startedAt: this.#epoch(startMs), endedAt: this.#epoch(endMs) };
    const last = this.#lastCallerTurn;
    if (continuation && last && last.startMs === startMs) {
      this.#call.updateTurn(last.seq, { text, endedAt: turn.endedAt });
      const entry = this.#history.findLast((e) => e.role === 'caller');
      if (entry) entry.text = text;
    } else {
      this.#lastCallerTurn = { seq: this.#call.addTurn({ role: 'caller', ...turn }), startMs };
      this.#history.push({ role: 'caller', text });
    }
    const input: BrainInput = t.text ? { type: 'speech', text: t.text, confidence: t.confidence } : { type: 'unrecognised', reason: t.rejected ?? 'no-match' };
    await this.#respond(reply, input);
  }

  /** The turn's words: from the live recogniser (already streaming), else recognised now from the ring. */
  async #transcribe(fromMs: number, toMs: number): Promise<Pick<TurnTranscript, 'text' | 'confidence' | 'rejected' | 'ms'>> {
    const live = this.#live;
    if (live) {
      const t = await live.turnText(fromMs, this.#liveSettings!.finalTranscriptMs);
      // Transcripts that were still interim when the bound passed are used, but noted.
      if (!t.complete) this.#call.record('stt.finalize-timeout', { waitedMs: Math.round(t.waitedMs) });
      return { text: t.text, confidence: t.confidence, rejected: t.text ? undefined : 'no-match', ms: t.waitedMs };
    }
    return this.#recognizer!.recognize(fromMs, toMs);
  }

  #onBargeIn(a: Extract<TurnAction, { type: 'bargeIn' }>): void {
    const r = this.#current;
    if (!r || r.id !== a.replyId || !r.playback) return;
    if (this.#playedOut(r)) return this.#finishQuietly(r);
    const played = this.#call.playedMs();
    this.#call.clear();
    // Model, tools and synthesis stop together; a resumed reply replays what was generated.
    r.abort.abort();
    const heard = r.playback.cut(played);
    this.#current = null;
    this.#recordCut(r, heard);
    this.#call.record('barge-in', {
      replyId: r.id,
      cause: a.cause,
      detectMs: Math.round(a.atMs - a.speechOnsetMs),
      heardSentences: heard,
      sentences: r.playback.ledger.sentences.length,
    });
    // Speech may turn out to be noise (the reply resumes); a keypress is final.
    if (a.cause === 'speech') this.#cut = r;
  }

  #onCancelReply(replyId: string): void {
    const r = this.#current;
    if (!r || r.id !== replyId) return;
    this.#stop(r);
    this.#current = null;
    // The caller went on talking: their next turn continues the one this reply answered.
    this.#turnAudioStartMs = this.#lastTurnAudioStartMs;
  }

  #onResume(replyId: string): void {
    const r = this.#cut;
    this.#turnAudioStartMs = null;
    this.#recognizer?.reset();
    // The model was stopped at the barge-in: the reply is what it had generated by then.
    if (r?.playback instanceof StreamPlayback) r.playback.end();
    if (!r || r.id !== replyId || !r.playback || r.heard >= r.playback.ledger.sentences.length) {
      this.#cut = null;
      this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId });
      return;
    }
    this.#cut = null;
    this.#current = r;
    r.resumed = true;
    this.#call.record('reply-resumed', { replyId, fromSentence: r.heard });
    r.playback.start(r.heard);
  }

  #onHangup(reason: 'idle' | 'max-duration', wrapUp: boolean): void {
    for (const r of [this.#current, this.#cut]) if (r) this.#stop(r);
    this.#current = this.#cut = null;
    this.#clearKeyTimer();
    const endAs: EndAs = reason === 'idle' ? { reason: 'bot-hangup', detail: 'idle' } : { reason: 'max-duration', detail: 'max-duration' };
    const text = reason === 'idle' ? this.#settings.idleGoodbye : this.#settings.maxDurationWrapUp;
    this.#call.record('turn.hangup', { reason, wrapUp });
    if (!wrapUp || !text) {
      this.#call.hangup(endAs.reason, endAs.detail);
      return;
    }
    const reply = this.#newReply(this.#clock.now(), false);
    reply.endAs = endAs;
    this.#speak(reply, { text, label: reason });
  }

  // ---- provider failures ----

  /**
   * A cloud stage gave up (its failures are on the timeline already). Whatever was playing stays cut
   * where the caller heard it; a cached apology follows in the offline voice, then the offline brain
   * answers (policy `fallback`), or the hand-over line and the transfer.
   */
  #providerFailed(reply: Reply | null, report: ProviderFailureReport): void {
    if (this.#ended || this.#failedOver) return;
    this.#failedOver = true;
    const f = this.#failover;
    const offline = f?.policy === 'fallback' ? f.offline : undefined;
    const inFlight = reply !== null && (reply === this.#current || reply === this.#cut);
    const current = this.#current;
    for (const r of [this.#current, this.#cut]) if (r) this.#stop(r);
    this.#current = this.#cut = null;
    if (current) this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: current.id });
    this.#call.record('failover', { stage: report.stage, provider: report.provider, code: report.code, to: offline ? 'offline' : 'transfer', replyId: reply?.id });
    this.#live?.close();
    this.#live = null;
    if (f) this.#voice = f.voice;
    const apology = f?.apology ?? this.#settings.apology;
    if (offline) {
      this.#brain = offline.brain;
      this.#grammars = offline.grammars;
      this.#recognizer = this.#newRecognizer(offline.stt);
      // A dead recogniser with nothing being said: the next turn is simply recognised offline.
      if (!inFlight) return;
      const next = this.#newReply(this.#clock.now(), reply.greeting);
      next.input = reply.input;
      this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: next.id, greeting: reply.greeting });
      void this.#respondAfterApology(next, reply, apology);
      return;
    }
    const handover = this.#newReply(this.#clock.now(), false);
    this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: handover.id });
    this.#deliver(handover, {
      text: `${apology} ${f?.handover ?? ''}`.trim(),
      label: 'failover',
      action: { type: 'transfer', reason: `provider-failure:${report.stage}:${report.code}` },
    });
  }

  /** The apology, then the offline brain's answer to what the failed reply was answering (or its greeting). */
  async #respondAfterApology(next: Reply, failed: Reply, apology: string): Promise<void> {
    let out: BrainOutput;
    try {
      if (failed.greeting) out = { kind: 'reply', reply: this.#brain.greeting() };
      else if (failed.input) out = await this.#brain.respond(failed.input, this.#history, next.abort.signal);
      else out = { kind: 'reply', reply: { text: '', label: 'apology' } };
    } catch (err) {
      this.#call.log.warn({ err }, 'offline brain failed');
      out = { kind: 'reply', reply: { text: '', label: 'apology' } };
    }
    if (next.abort.signal.aborted || this.#ended) return;
    const answer = out.kind === 'reply' ? out.reply : { text: '', label: 'apology' };
    this.#deliver(next, { ...answer, text: `${apology} ${answer.text}`.trim(), voice: undefined });
  }

  // ---- keypad ----

  #onKey(digit: string): void {
    this.#clearKeyTimer();
    if (this.#keys === '') this.#keysStartedAt = this.#clock.now();
    this.#keys += digit;
    this.#keyInput({ type: 'dtmf', digit });
  }

  #keyInput(input: BrainInput): void {
    const reply = this.#newReply(this.#clock.now(), false);
    void this.#respond(reply, input, () => {
      this.#call.addTurn({ role: 'caller', text: `[DTMF] ${this.#keys}`, startedAt: this.#epoch(this.#keysStartedAt), endedAt: Date.now() });
      this.#history.push({ role: 'caller', text: `[DTMF] ${this.#keys}` });
      this.#keys = '';
      this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: reply.id });
    });
  }

  #clearKeyTimer(): void {
    if (this.#keyTimer) this.#clock.clearTimer(this.#keyTimer);
    this.#keyTimer = null;
  }

  // ---- replies ----

  /** A new reply replaces whatever reply is in flight. */
  #newReply(originMs: number, greeting: boolean): Reply {
    const previous = this.#current;
    if (previous) {
      this.#stop(previous);
      this.#current = null;
      this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: previous.id });
    }
    const reply: Reply = {
      id: `r${++this.#replySeq}`,
      greeting,
      originMs,
      abort: new AbortController(),
      endAs: null,
      text: '',
      playback: null,
      voice: null,
      input: null,
      answersSpeech: false,
      latency: {},
      latencyRecorded: false,
      turnSeq: null,
      history: null,
      heard: 0,
      resumed: false,
      firstMark: true,
    };
    this.#current = reply;
    return reply;
  }

  /** Drops a reply: stops generating it and, if it is playing, clears it from the call. */
  #stop(r: Reply): void {
    r.abort.abort();
    if (!r.playback || r.playback.finished || this.#cut === r) return;
    const played = this.#call.playedMs();
    if (r.turnSeq === null) {
      r.playback.cut(played); // nothing played yet: just stop synthesizing
      return;
    }
    if (this.#playedOut(r)) return this.#finishQuietly(r);
    this.#call.clear();
    this.#recordCut(r, r.playback.cut(played));
  }

  /**
   * Asks the brain, then speaks its reply. `onReply` runs once a reply (not a wait for more keys)
   * came back, before it is spoken.
   */
  async #respond(reply: Reply, input: BrainInput, onReply?: () => void): Promise<void> {
    reply.input = input;
    let out: BrainOutput;
    try {
      out = await this.#brain.respond(input, this.#history, reply.abort.signal);
    } catch (err) {
      if (reply.abort.signal.aborted || this.#ended) return;
      if (err instanceof ProviderFailure) return this.#providerFailed(reply, err.report);
      this.#call.log.warn({ err }, 'brain failed');
      out = { kind: 'reply' as const, reply: { text: this.#settings.apology, label: 'apology' } };
    }
    if (reply.abort.signal.aborted || this.#ended) return;
    if (out.kind === 'collect') {
      if (this.#current === reply) this.#current = null;
      if (!onReply) this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: reply.id });
      this.#keyTimer = this.#clock.setTimer(() => {
        this.#keyTimer = null;
        if (!this.#ended) this.#keyInput({ type: 'dtmfTimeout' });
      }, out.timeoutMs);
      return;
    }
    onReply?.();
    if (out.kind === 'stream') return this.#speakStream(reply, out.reply);
    this.#deliver(reply, out.reply);
  }

  #deliver(reply: Reply, br: BrainReply): void {
    if (br.action) this.#closing(reply, br.action);
    this.#speak(reply, br);
  }

  /** Closing: the goodbye/hand-over is said in full; turn-taking stops listening. */
  #closing(reply: Reply, action: ReplyAction): void {
    reply.endAs = endAsFor(action);
    this.#turns.handle({ type: 'callEnded', nowMs: this.#clock.now() });
    this.#disarm();
  }

  #speak(reply: Reply, br: BrainReply): void {
    if (this.#ended) return;
    this.#current = reply;
    reply.text = br.text;
    const voice: VoiceSpec = br.voice ?? this.#voice;
    const sentences = VoiceBank.sentences(br.text);
    this.#latency(reply, 'turn.reply-text', { label: br.label, sentences: sentences.length, action: br.action?.type });
    if (this.#settings.streaming) {
      const playback = this.#streamPlayback(reply, voice);
      for (const s of sentences) playback.push(s);
      playback.end();
      return;
    }
    const rate = this.#rate;
    const playback = new Playback({
      port: this.#call,
      name: reply.id,
      sentences,
      audio: (s, signal) => this.#voices.audio(s, voice, rate, signal),
      frameSamples: this.#frameSamples,
      frameMs: this.#frameMs,
      trustMarks: () => this.#marksEchoed && this.#markTimeouts === 0,
      hooks: this.#playbackHooks(reply),
    });
    reply.playback = playback;
    playback.start();
  }

  /** A reply whose audio streams sentence by sentence; started, waiting for its sentences. */
  #streamPlayback(reply: Reply, voice: VoiceSpec): StreamPlayback {
    const rate = this.#rate;
    reply.voice = voice;
    const hooks = this.#playbackHooks(reply);
    const playback = new StreamPlayback({
      port: this.#call,
      name: reply.id,
      audio: (s, signal) => this.#voices.stream(s, voice, rate, signal),
      frameSamples: this.#frameSamples,
      frameMs: this.#frameMs,
      trustMarks: () => this.#marksEchoed && this.#markTimeouts === 0,
      firstChunkTimeoutMs: this.#settings.streaming?.firstByteTimeoutMs ?? 10_000,
      retryable: isRetryable,
      hooks: {
        ...hooks,
        onSynthFailure: (err, retrying) => {
          if (this.#ended) return;
          recordProviderFailure(this.#call, failureReport(voice.provider, 'tts', err, retrying));
        },
      },
    });
    reply.playback = playback;
    this.#current = reply;
    playback.start();
    return playback;
  }

  /**
   * Speaks a reply as it is generated: text through the sentence chunker, each sentence to the
   * stream playback; a line (filler, goodbye) on its own; an action once all of it is heard.
   */
  async #speakStream(reply: Reply, streamed: StreamedReply): Promise<void> {
    if (this.#ended) return;
    const playback = this.#streamPlayback(reply, this.#voice);
    const chunker = new SentenceChunker({ markdown: true });
    const say = (sentences: readonly string[]) => {
      for (const s of sentences) {
        playback.push(s);
        reply.text = playback.ledger.text();
        if (reply.history && !reply.history.interrupted) reply.history.text = reply.text;
      }
    };
    let first = true;
    try {
      for await (const part of streamed.parts) {
        if (reply.abort.signal.aborted || this.#ended) return;
        if (first) {
          first = false;
          this.#latency(reply, 'turn.first-token', { label: streamed.label });
        }
        if (part.type === 'text') say(chunker.push(part.text));
        else if (part.type === 'line') {
          say(chunker.flush());
          say(VoiceBank.sentences(part.text));
        } else {
          say(chunker.flush());
          this.#closing(reply, part.action);
          break;
        }
      }
    } catch (err) {
      if (reply.abort.signal.aborted || this.#ended) return;
      const report = err instanceof ProviderFailure ? err.report : failureReport('brain', 'llm', err, false);
      if (!(err instanceof ProviderFailure)) recordProviderFailure(this.#call, report);
      this.#providerFailed(reply, report);
      return;
    }
    if (reply.abort.signal.aborted || this.#ended) return;
    say(chunker.flush());
    this.#latency(reply, 'turn.reply-text', { label: streamed.label, sentences: playback.length, action: reply.endAs?.reason });
    if (playback.length === 0 && !reply.endAs) {
      // Nothing to say (the model returned no text): the turn goes back to the caller.
      if (this.#current === reply) this.#current = null;
      this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: reply.id });
      return;
    }
    playback.end();
  }

  #playbackHooks(reply: Reply): PlaybackHooks {
    let firstPlay = true;
    return {
      onFirstAudio: (cached) => this.#latency(reply, 'turn.first-audio', { cached }),
      onPlayStarted: () => {
        if (firstPlay) {
          firstPlay = false;
          this.#latency(reply, 'turn.first-frame', {});
          reply.turnSeq = this.#call.addTurn({ role: 'agent', text: reply.text, startedAt: Date.now() });
          reply.history = { role: 'agent', text: reply.text };
          this.#history.push(reply.history);
        } else if (reply.history) {
          reply.history.text = reply.text;
          reply.history.interrupted = false;
        }
        if (!reply.endAs) this.#feed({ type: 'botSpeechStarted', nowMs: this.#clock.now(), replyId: reply.id, greeting: reply.greeting });
      },
      onMarkEcho: () => {
        this.#marksEchoed = true;
        if (reply.firstMark) {
          reply.firstMark = false;
          this.#latency(reply, 'turn.first-mark', {});
          this.#recordLatency(reply);
        }
      },
      onMarkTimeout: () => this.#markTimeouts++,
      onFinished: () => this.#onFinished(reply),
      onError: (err) => this.#onReplyFailed(reply, err),
    };
  }

  #onFinished(reply: Reply): void {
    this.#recordLatency(reply);
    if (reply.turnSeq !== null) {
      const patch = reply.resumed ? { interrupted: false, heardText: reply.text, endedAt: Date.now() } : { endedAt: Date.now() };
      // A streamed reply's text grew after its turn was added.
      this.#call.updateTurn(reply.turnSeq, { text: reply.text, ...patch });
    }
    if (reply.history) {
      reply.history.text = reply.text;
      reply.history.interrupted = false;
    }
    if (this.#current === reply) this.#current = null;
    if (reply.endAs) {
      this.#call.record(reply.endAs.reason === 'transfer' ? 'transfer' : 'agent-hangup', { detail: reply.endAs.detail });
      this.#call.hangup(reply.endAs.reason, reply.endAs.detail);
      return;
    }
    this.#feed({ type: 'botSpeechFinished', nowMs: this.#clock.now(), replyId: reply.id });
  }

  #onReplyFailed(reply: Reply, err: unknown): void {
    if (this.#ended) return;
    // A cloud voice that gave up (its failures are recorded): fail over instead of apologising in it.
    if (reply.voice && this.#voices.owns(reply.voice) && !this.#failedOver) {
      return this.#providerFailed(reply, failureReport(reply.voice.provider, 'tts', err, false));
    }
    this.#call.log.warn({ err, replyId: reply.id }, 'reply synthesis failed');
    this.#call.record('reply-failed', { replyId: reply.id, message: err instanceof Error ? err.message : String(err) });
    if (this.#current === reply) this.#current = null;
    if (reply.endAs) {
      this.#call.hangup(reply.endAs.reason, reply.endAs.detail);
      return;
    }
    this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: reply.id });
    // Say sorry (a cached prompt) unless that is what just failed.
    if (reply.text !== this.#settings.apology && reply.turnSeq === null) {
      const apology = this.#newReply(this.#clock.now(), false);
      this.#feed({ type: 'replyQueued', nowMs: this.#clock.now(), replyId: apology.id });
      this.#speak(apology, { text: this.#settings.apology, label: 'apology' });
    }
  }

  /**
   * All of the reply has played by the playout position, its last mark echo just not handled yet
   * (it can arrive in the same network read as the input that cuts the reply).
   */
  #playedOut(r: Reply): boolean {
    const last = r.playback?.ledger.sentences.at(-1);
    return last?.endMs != null && last.endMs <= this.#call.playedMs();
  }

  /** Ends a reply that played out without waiting for its last mark: nothing to clear, nothing cut. */
  #finishQuietly(r: Reply): void {
    r.playback!.cut(this.#call.playedMs());
    if (this.#current === r) this.#current = null;
    if (r.turnSeq !== null) this.#call.updateTurn(r.turnSeq, { endedAt: Date.now() });
  }

  /** Transcript and conversation context keep only what the caller heard of a cut reply. */
  #recordCut(r: Reply, heard: number): void {
    r.heard = heard;
    const heardText = r.playback!.ledger.text(heard);
    if (r.history) {
      r.history.text = heardText;
      r.history.interrupted = true;
    }
    this.#recordLatency(r);
    if (r.turnSeq !== null) this.#call.updateTurn(r.turnSeq, { interrupted: true, heardText, endedAt: Date.now() });
  }

  #latency(reply: Reply, type: string, data: Record<string, unknown>): void {
    const ms = this.#clock.now() - reply.originMs;
    this.#call.record(type, { replyId: reply.id, ms: Math.round(ms), ...data });
    const stage = LATENCY_STAGES[type];
    if (stage && !(stage in reply.latency)) {
      reply.latency[stage] = Math.round(ms * 10) / 10;
      if (reply.answersSpeech) this.#call.observeLatency(stage, ms);
    }
  }

  /** The turn's latency stages in one timeline event, once (at its first mark, or when it ends without one). */
  #recordLatency(reply: Reply): void {
    if (reply.latencyRecorded || !reply.answersSpeech) return;
    reply.latencyRecorded = true;
    this.#call.record('turn.latency', { replyId: reply.id, ...reply.latency });
  }

  #epoch(hostMs: number): number {
    return Math.round(hostMs + this.#epochOffset);
  }
}

function endAsFor(action: ReplyAction): EndAs {
  return action.type === 'transfer' ? { reason: 'transfer', detail: action.reason } : { reason: 'bot-hangup', detail: action.reason };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
