// Turn-taking engine: decides when the caller's turn ends, when they interrupt the bot, when
// an interruption was only noise, and when an idle or over-long call must end.
// A pure state machine over a host clock: no timers, no I/O. The host feeds inputs (each with
// nowMs), calls tick(nowMs) at nextDeadline(), and carries out the returned actions.
import { resolveTurnConfig } from './turn-config.js';
import { SpeechRuns } from './turn-speech.js';
import type { EndOfTurnReason, ResumeReason, TurnAction, TurnInput, TurnState, TurnTakingConfig } from './turn-types.js';
import { turnVerdict } from './turn-verdict.js';
import type { TurnVerdict } from './turn-verdict.js';

export type * from './turn-types.js';
export { DEFAULT_TURN_CONFIG, resolveTurnConfig } from './turn-config.js';

interface Reply {
  id: string;
  greeting: boolean;
  speaking: boolean;
  startedAtMs: number;
}

interface Turn {
  /** Reported start (the continued turn's start for a continuation). */
  startMs: number;
  /** Where this turn's own speech began; max turn length counts from here. */
  ownStartMs: number;
  continuation: boolean;
  /** totalVoicedMs at ownStartMs, to measure this turn's voice. */
  voicedBase: number;
  interrupted: { replyId: string; atMs: number; playedMs: number } | null;
}

const NO_ACTIONS: readonly TurnAction[] = Object.freeze([]);

export class TurnTaker {
  readonly config: Readonly<TurnTakingConfig>;
  readonly #speech: SpeechRuns;
  #now = Number.NEGATIVE_INFINITY;
  #started = false;
  #ended = false;
  #callStartMs = 0;
  #reply: Reply | null = null;
  #turn: Turn | null = null;
  /** Start of the turn the pending reply answers, so a continuation can merge with it. */
  #answeredTurnStartMs: number | null = null;
  /** Last reply cut or cancelled (by the engine or the host): late lifecycle events for it are ignored. */
  #deadReplyId: string | null = null;
  #lastTextAtMs = Number.NEGATIVE_INFINITY;
  #lastFinalAtMs = Number.NEGATIVE_INFINITY;
  /** The last final transcript was judged an incomplete phrase. */
  #lastFinalIncomplete = false;
  /** Recognitions of the caller's audio at a pause still running (the offline recogniser's, see CallerInput). */
  #recognizing = 0;
  #idleFromMs: number | null = null;
  #idlePrompts = 0;
  #out: TurnAction[] | null = null;

  constructor(config: Partial<TurnTakingConfig> = {}) {
    this.config = Object.freeze(resolveTurnConfig(config));
    this.#speech = new SpeechRuns(this.config.speechGapMs);
  }

  get state(): TurnState {
    if (this.#ended) return 'ended';
    if (!this.#started) return 'idle';
    if (this.#reply?.speaking) return 'botSpeaking';
    if (this.#turn) return 'userSpeaking';
    if (this.#reply) return 'thinking';
    return 'listening';
  }

  /** Feed one input. Deadlines that passed before input.nowMs fire first. */
  handle(input: TurnInput): readonly TurnAction[] {
    if (this.#ended) return NO_ACTIONS;
    if (!this.#started) {
      if (input.type !== 'callStarted') return NO_ACTIONS; // nothing to decide before the call exists
      this.#started = true;
      this.#callStartMs = input.nowMs;
    }
    this.#out = null;
    this.#now = Math.max(this.#now, input.nowMs);
    // Deadlines that passed before this input fire first. Voice stopping is the exception: it
    // happened before nowMs, so it applies first or the voice would count on until nowMs.
    if (!this.#stopsVoice(input)) this.#evaluate();
    if (!this.#ended) {
      this.#apply(input);
      if (!this.#ended) this.#evaluate();
    }
    return this.#out ?? NO_ACTIONS;
  }

  /** Let time pass without input. */
  tick(nowMs: number): readonly TurnAction[] {
    if (this.#ended || !this.#started) return NO_ACTIONS;
    this.#out = null;
    this.#now = Math.max(this.#now, nowMs);
    this.#evaluate();
    return this.#out ?? NO_ACTIONS;
  }

  /** Earliest host time at which tick() may produce an action; null = nothing pending. */
  nextDeadline(): number | null {
    if (!this.#started || this.#ended) return null;
    const cfg = this.config;
    const s = this.#speech;
    let at = cfg.maxCallMs === null ? Infinity : this.#callStartMs + cfg.maxCallMs;
    const threshold = s.hasRun && s.active ? this.#voiceThreshold() : null;
    if (threshold !== null) at = Math.min(at, s.reachesAtMs(threshold));
    const t = this.#turn;
    if (t) {
      if (cfg.maxTurnMs !== null) at = Math.min(at, t.ownStartMs + cfg.maxTurnMs);
      if (!s.active) at = Math.min(at, this.#verdict(t).atMs);
    } else if (this.#idleFromMs !== null && !s.active) {
      at = Math.min(at, this.#idleFromMs + cfg.idleMs);
    }
    return at === Infinity ? null : at;
  }

  #stopsVoice(input: TurnInput): boolean {
    return this.#speech.active && (input.type === 'speechEnd' || (input.type === 'vad' && !this.#heard(input)));
  }

  /** A VAD frame counts as the caller's voice. */
  #heard(frame: Extract<TurnInput, { type: 'vad' }>): boolean {
    // Our own echo leaks back quieter than a caller talking into the handset.
    const minLevel = this.config.bargeInMinLevelDbfs;
    const quiet = this.#reply?.speaking && minLevel !== null && frame.levelDbfs !== undefined && frame.levelDbfs < minLevel;
    return frame.voiced && !quiet;
  }

  #apply(input: TurnInput): void {
    const s = this.#speech;
    const r = this.#reply;
    switch (input.type) {
      case 'callStarted':
        break;
      case 'callEnded':
        this.#ended = true;
        break;
      case 'vad':
        if (this.#heard(input)) s.voiceOn(input.startMs ?? input.nowMs);
        else s.voiceOff(input.startMs ?? input.nowMs);
        break;
      case 'speechStart':
        s.voiceOn(input.onsetMs ?? input.nowMs);
        break;
      case 'speechEnd':
        s.voiceOff(input.endMs ?? input.nowMs);
        break;
      case 'recognizing':
        this.#recognizing = Math.max(0, this.#recognizing + (input.pending ? 1 : -1));
        break;
      case 'transcript':
        if (input.text.trim() === '') break;
        this.#lastTextAtMs = this.#now;
        if (input.final) {
          this.#lastFinalAtMs = this.#now;
          this.#lastFinalIncomplete = input.complete === false;
        }
        break;
      case 'replyQueued':
        this.#reply = { id: input.replyId, greeting: input.greeting === true, speaking: false, startedAtMs: 0 };
        break;
      case 'botSpeechStarted':
        if (r?.id === input.replyId && r.speaking) break;
        // A start for a reply that is gone (another one is in flight, or it was dropped) arrived late.
        if (r ? r.id !== input.replyId : input.replyId === this.#deadReplyId) break;
        this.#reply = {
          id: input.replyId,
          greeting: input.greeting === true || (r?.id === input.replyId && r.greeting),
          speaking: true,
          startedAtMs: input.atMs ?? input.nowMs,
        };
        this.#answeredTurnStartMs = null; // the bot answered: later speech is a new turn
        break;
      case 'botSpeechFinished':
        if (r?.id === input.replyId) this.#reply = null;
        break;
      case 'replyCancelled':
        if (r?.id === input.replyId) this.#reply = null;
        this.#deadReplyId = input.replyId;
        break;
      case 'dtmf':
        // A keypress is the caller acting: it resets idle, and may cut the bot short.
        this.#idlePrompts = 0;
        this.#idleFromMs = this.#now;
        if (r?.speaking && this.config.dtmfBargeIn && !this.#protected(r)) this.#bargeIn('dtmf', this.#now);
        this.#emit({ type: 'dtmf', digit: input.digit, atMs: this.#now });
        break;
    }
  }

  #evaluate(): void {
    const cfg = this.config;
    const now = this.#now;
    // Max call duration overrides everything (cost and abuse bound).
    if (cfg.maxCallMs !== null && now >= this.#callStartMs + cfg.maxCallMs) {
      this.#hangup('max-duration', cfg.maxDurationWrapUp);
      return;
    }
    this.#applyMasks();
    this.#voiceRules();
    this.#turnRules();
    this.#idleRule();
  }

  /** Voice the bot must not react to is masked so it cannot count towards any threshold later. */
  #applyMasks(): void {
    const r = this.#reply;
    if (!r?.speaking) return;
    // Half duplex: the line echoes our audio back, so nothing heard while we speak is the caller.
    if (this.config.halfDuplex) this.#speech.mask(this.#now);
    // Ring-back and line noise at call start must not cut the greeting; voice counts after the window.
    else if (this.#protected(r)) {
      this.#speech.mask(this.config.protectWholeGreeting ? this.#now : r.startedAtMs + this.config.greetingProtectMs);
    }
  }

  #protected(r: Reply): boolean {
    return r.greeting && (this.config.protectWholeGreeting || this.#now < r.startedAtMs + this.config.greetingProtectMs);
  }

  /** Voiced time the current run needs for the next decision in this state; null = none applies. */
  #voiceThreshold(): number | null {
    const r = this.#reply;
    const cfg = this.config;
    if (r?.speaking) return cfg.halfDuplex || (this.#protected(r) && cfg.protectWholeGreeting) ? null : cfg.bargeInMinSpeechMs;
    if (r) return r.greeting ? null : cfg.thinkingInterruptMinSpeechMs; // the greeting plays whatever was said before it
    return this.#turn ? null : cfg.minSpeechMs;
  }

  #voiceRules(): void {
    const s = this.#speech;
    const threshold = s.hasRun ? this.#voiceThreshold() : null;
    if (threshold === null || s.runVoicedMs(this.#now) < threshold) return;
    const r = this.#reply;
    if (r?.speaking) {
      // Barge-in: a higher bar than a normal turn, since echo and backchannels ("mm") are short.
      this.#bargeIn('speech', s.runOnsetMs);
    } else if (r) {
      // Speech while thinking: the caller had not finished. Talking over them would be rude, so
      // drop the reply and treat this speech as more of the turn it answered.
      this.#emit({ type: 'cancelReply', replyId: r.id, atMs: this.#now, reason: 'callerContinued' });
      this.#killReply(r.id);
      if (!this.#turn) this.#openTurn(this.#answeredTurnStartMs, null);
    } else {
      // Minimum speech: clicks and coughs never open a turn.
      this.#openTurn(null, null);
    }
  }

  #turnRules(): void {
    const t = this.#turn;
    if (!t) return;
    const maxTurnMs = this.config.maxTurnMs;
    // Max turn length: a monologue (or stuck VAD) must not hold the call forever.
    if (maxTurnMs !== null && this.#now >= t.ownStartMs + maxTurnMs) return this.#endTurn(t, this.#now, 'maxTurn');
    if (this.#speech.active) return;
    const verdict = this.#verdict(t);
    if (this.#now < verdict.atMs) return;
    if (verdict.kind === 'resume') this.#resume(t, verdict.reason);
    else this.#endTurn(t, this.#speech.lastVoiceMs(this.#now), verdict.reason);
  }

  /** End of turn or resume for an open turn whose caller has gone quiet. */
  #verdict(t: Turn): TurnVerdict {
    const s = this.#speech;
    const last = s.lastVoiceMs(this.#now);
    return turnVerdict(this.config, {
      lastVoiceMs: last,
      voicedMs: s.totalVoicedMs(this.#now) - t.voicedBase,
      interrupted: t.interrupted !== null,
      heardWords: this.#lastTextAtMs >= t.ownStartMs,
      finalAfterVoice: this.#lastFinalAtMs >= last,
      finalIncomplete: this.#lastFinalIncomplete,
      recognizing: this.#recognizing > 0,
    });
  }

  #idleRule(): void {
    if (this.state !== 'listening') {
      this.#idleFromMs = null;
      return;
    }
    this.#idleFromMs ??= this.#now;
    // Idle: re-prompt a silent caller, then give up, instead of holding a dead line open.
    if (this.#speech.active || this.#now < this.#idleFromMs + this.config.idleMs) return;
    if (this.#idlePrompts >= this.config.maxIdlePrompts) return this.#hangup('idle', this.config.idleWrapUp);
    this.#idlePrompts++;
    this.#idleFromMs = this.#now;
    this.#emit({ type: 'idlePrompt', count: this.#idlePrompts, atMs: this.#now });
  }

  #openTurn(continuesStartMs: number | null, interrupted: Turn['interrupted']): void {
    const s = this.#speech;
    const onset = s.runOnsetMs;
    this.#turn = {
      startMs: continuesStartMs ?? onset,
      ownStartMs: onset,
      continuation: continuesStartMs !== null,
      voicedBase: s.totalVoicedMs(this.#now) - s.runVoicedMs(this.#now),
      interrupted,
    };
    this.#idlePrompts = 0; // the caller spoke
  }

  #bargeIn(cause: 'speech' | 'dtmf', onsetMs: number): void {
    const r = this.#reply as Reply;
    const playedMs = Math.max(0, this.#now - r.startedAtMs);
    this.#emit({ type: 'bargeIn', replyId: r.id, atMs: this.#now, cause, speechOnsetMs: onsetMs, playedMs });
    this.#killReply(r.id);
    if (cause === 'dtmf') return; // a keypress is deliberate: never resumed
    // The speech that interrupted is the start of the caller's new turn.
    const interrupted = { replyId: r.id, atMs: this.#now, playedMs };
    if (this.#turn) this.#turn.interrupted = interrupted;
    else this.#openTurn(null, interrupted);
  }

  #resume(t: Turn, reason: ResumeReason): void {
    const cut = t.interrupted as NonNullable<Turn['interrupted']>;
    this.#turn = null;
    this.#speech.consume();
    this.#reply = { id: cut.replyId, greeting: false, speaking: false, startedAtMs: 0 };
    this.#deadReplyId = null;
    this.#emit({ type: 'resumeReply', replyId: cut.replyId, atMs: this.#now, interruptedAtMs: cut.atMs, playedMs: cut.playedMs, reason });
  }

  #endTurn(t: Turn, turnEndMs: number, reason: EndOfTurnReason): void {
    this.#turn = null;
    this.#speech.consume(); // the run that made this turn cannot open another (after maxTurn: the rest of it)
    this.#answeredTurnStartMs = t.startMs;
    this.#emit({
      type: 'endOfTurn',
      turnStartMs: t.startMs,
      turnEndMs,
      atMs: this.#now,
      reason,
      continuation: t.continuation,
      interruptedReplyId: t.interrupted?.replyId ?? null,
    });
  }

  #killReply(id: string): void {
    this.#reply = null;
    this.#deadReplyId = id;
  }

  #hangup(reason: 'idle' | 'max-duration', wrapUp: boolean): void {
    this.#ended = true;
    this.#emit({ type: 'hangup', reason, wrapUp, atMs: this.#now });
  }

  #emit(action: TurnAction): void {
    (this.#out ??= []).push(action);
  }
}
