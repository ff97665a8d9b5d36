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
// brain takes over, or the caller is handed over. Every caller and agent turn goes to the
// transcript, and each reply's latency stages to the call's timeline.
//
// This file is the coordinator: it wires the pieces and owns the call's lifecycle, the replies in
// flight and the one timer turn-taking needs. The pieces: caller-input.ts (audio and recognition),
// turn-actions.ts (what turn-taking and the brain decide), reply-speaker.ts (saying a reply),
// reply.ts (the reply record: what was heard), failover.ts (a cloud provider that gave up).
import type { AgentEndReason, AgentSession, SayMode } from './call-contract.js';
import { realScheduler, type Scheduler, type TimerHandle } from '../clock/scheduler.js';
import { defaultFrameBytes } from '../exotel/frame-rules.js';
import { CallerInput } from './caller-input.js';
import type { ConversationContext } from './conversation-context.js';
import type { ConversationDeps } from './conversation-settings.js';
import { ProviderFailover } from './failover.js';
import { ReplyRecord, newReply, type Reply } from './reply.js';
import { ReplySpeaker } from './reply-speaker.js';
import { TurnActions } from './turn-actions.js';
import { TurnTaker, type TurnInput } from './turn-taking.js';

export type { ConversationDeps, ConversationSettings, Failover, LiveSttSettings } from './conversation-settings.js';

/** Operators' lines a call holds at once; more is a mistake (or a loop) on the operator's side. */
const MAX_QUEUED_LINES = 10;

export class Conversation implements AgentSession {
  readonly #ctx: ConversationContext;
  readonly #clock: Scheduler;
  readonly #turns: TurnTaker;
  readonly #input: CallerInput;
  readonly #actions: TurnActions;
  readonly #failover: ProviderFailover;
  readonly #epochOffset: number;
  #timer: TimerHandle | null = null;
  #timerAt: number | null = null;
  #replySeq = 0;
  /** Operators' lines waiting for a pause (`say` in `queue` mode). */
  readonly #queuedLines: string[] = [];
  /** A reply is being replaced: the pause that shows for a moment is not one for a queued line. */
  #replacing = false;

  constructor(deps: ConversationDeps) {
    const { call, settings } = deps;
    const clock = (this.#clock = deps.scheduler ?? realScheduler);
    const rate = call.info.sampleRate;
    const frameSamples = defaultFrameBytes(rate) / 2;
    this.#epochOffset = Date.now() - clock.now();
    this.#turns = new TurnTaker(settings.turnTaking);
    const ctx: ConversationContext = (this.#ctx = {
      call,
      clock,
      settings,
      history: [],
      record: new ReplyRecord(call, clock),
      brain: deps.brain,
      voice: settings.voice,
      current: null,
      cut: null,
      ended: false,
      failedOver: false,
      session: deps.session ?? {},
      turnState: () => this.#turns.state,
      feed: (input) => this.#feed(input),
      newReply: (originMs, greeting) => this.#newReply(originMs, greeting),
      stop: (reply) => this.#stop(reply),
      respond: (reply, input, onReply) => this.#actions.respond(reply, input, onReply),
      deliver: (reply, br) => this.#actions.deliver(reply, br),
      closing: (reply, action) => this.#actions.closing(reply, action),
      providerFailed: (reply, report) => this.#failover.failed(reply, report),
      epoch: (hostMs) => Math.round(hostMs + this.#epochOffset),
    });
    this.#input = new CallerInput(ctx, {
      sampleRate: rate,
      vadRuntime: deps.vadRuntime,
      vad: settings.vad,
      maxTurnMs: this.#turns.config.maxTurnMs,
      stt: deps.stt,
      grammars: deps.grammars,
      live: deps.live,
      onVad: (input) => {
        this.#actions.act(this.#turns.handle(input));
        this.#sayQueued();
      },
    });
    const speaker = new ReplySpeaker(ctx, { voices: deps.voices, sampleRate: rate, frameSamples, frameMs: (frameSamples * 1000) / rate });
    this.#actions = new TurnActions(ctx, this.#input, speaker, () => {
      this.#turns.handle({ type: 'callEnded', nowMs: clock.now() });
      this.#disarm();
    });
    this.#failover = new ProviderFailover(ctx, this.#input, deps.failover);
    this.#feed({ type: 'callStarted', nowMs: clock.now() });
    const first = deps.session?.firstTurn;
    if (first !== undefined) {
      // The caller spoke to the agent before this one (in this one's language): answer it rather than greet.
      ctx.history.push({ role: 'caller', text: first });
      const reply = this.#newReply(clock.now(), false);
      reply.answersSpeech = true;
      this.#feed({ type: 'replyQueued', nowMs: clock.now(), replyId: reply.id });
      void this.#actions.respond(reply, { type: 'speech', text: first, confidence: 1 });
      return;
    }
    const greeting = this.#newReply(clock.now(), true);
    this.#feed({ type: 'replyQueued', nowMs: clock.now(), replyId: greeting.id, greeting: true });
    this.#actions.deliver(greeting, ctx.brain.greeting());
  }

  // ---- AgentSession ----

  onAudio(pcm: Int16Array, timestampMs: number | undefined): void {
    if (this.#ctx.ended) return;
    this.#input.write(pcm, timestampMs);
    this.#arm();
  }

  onDtmf(digit: string): void {
    this.#feed({ type: 'dtmf', nowMs: this.#clock.now(), digit });
  }

  /**
   * An operator's line, spoken as a reply of the agent's own (its transcript turn, heard ledger and context
   * entry; the caller can interrupt it like any reply). `interrupt`: what is in flight stops as at a barge-in
   * (cleared, its turn kept to what was heard); `queue`: said once the agent and the caller are both quiet.
   */
  say(text: string, mode: SayMode): string | undefined {
    const ctx = this.#ctx;
    if (ctx.ended || this.#turns.state === 'ended') return 'the call is ending';
    if (mode === 'queue') {
      if (this.#queuedLines.length >= MAX_QUEUED_LINES) return `${MAX_QUEUED_LINES} lines are already waiting to be said`;
      this.#queuedLines.push(text);
      this.#sayQueued();
      return undefined;
    }
    // A reply cut by the caller and waiting for its verdict must not resume over the line.
    ctx.cut?.abort.abort();
    ctx.cut = null;
    this.#speakLine(text);
    return undefined;
  }

  onEnd(reason: AgentEndReason): void {
    const ctx = this.#ctx;
    if (ctx.ended) return;
    ctx.ended = true;
    this.#queuedLines.length = 0;
    this.#turns.handle({ type: 'callEnded', nowMs: this.#clock.now() });
    this.#disarm();
    this.#actions.keypad.clear();
    // The caller hung up mid-reply: the transcript keeps what they heard (a cut reply already has it).
    const r = ctx.current;
    if (r) {
      r.abort.abort();
      // A reply whose last mark echo is still on its way played out: it was heard whole.
      if (r.playback && !r.playback.finished) {
        if (ctx.record.playedOut(r)) {
          if (r.turnSeq !== null) ctx.call.updateTurn(r.turnSeq, { text: r.text, endedAt: Date.now() });
        } else {
          const heard = r.playback.cut(ctx.call.playedMs());
          if (r.turnSeq !== null && heard < r.playback.ledger.sentences.length) ctx.record.recordCut(r, heard);
        }
      }
      ctx.record.recordLatency(r);
    }
    ctx.cut?.abort.abort();
    ctx.current = ctx.cut = null;
    this.#input.close();
    ctx.call.log.debug({ reason }, 'conversation ended');
  }

  // ---- turn-taking ----

  #feed(input: TurnInput): void {
    if (this.#ctx.ended) return;
    this.#actions.act(this.#turns.handle(input));
    this.#arm();
    this.#sayQueued();
  }

  /** The next queued line, once nothing else is going on: no reply in flight, none cut, the caller quiet. */
  #sayQueued(): void {
    const ctx = this.#ctx;
    if (this.#queuedLines.length === 0 || this.#replacing || ctx.ended || ctx.current || ctx.cut || this.#turns.state !== 'listening') return;
    this.#speakLine(this.#queuedLines.shift()!);
  }

  /** Replaces whatever reply is in flight (stopping it as a barge-in would) with the line. */
  #speakLine(text: string): void {
    const now = this.#clock.now();
    const reply = this.#newReply(now, false);
    this.#feed({ type: 'replyQueued', nowMs: now, replyId: reply.id });
    this.#actions.deliver(reply, { text, label: 'operator' });
  }

  /**
   * One timer, at the engine's next deadline (idle, max duration, endpoint when audio stalls). A timer
   * already set earlier stays: ticking early is harmless and re-arms, while moving it on every audio
   * chunk (deadlines move as the caller speaks) would churn timers.
   */
  #arm(): void {
    const at = this.#ctx.ended ? null : this.#turns.nextDeadline();
    if (at === null || (this.#timerAt !== null && this.#timerAt <= at)) return;
    this.#disarm();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = this.#timerAt = null;
      if (this.#ctx.ended) return;
      this.#actions.act(this.#turns.tick(this.#clock.now()));
      this.#arm();
      this.#sayQueued();
    }, at - this.#clock.now());
  }

  #disarm(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = this.#timerAt = null;
  }

  // ---- replies ----

  #newReply(originMs: number, greeting: boolean): Reply {
    const ctx = this.#ctx;
    const previous = ctx.current;
    if (previous) {
      this.#replacing = true;
      try {
        this.#stop(previous);
        ctx.current = null;
        this.#feed({ type: 'replyCancelled', nowMs: this.#clock.now(), replyId: previous.id });
      } finally {
        this.#replacing = false;
      }
    }
    const reply = newReply(`r${++this.#replySeq}`, originMs, greeting);
    ctx.current = reply;
    return reply;
  }

  #stop(r: Reply): void {
    const ctx = this.#ctx;
    r.abort.abort();
    if (!r.playback || r.playback.finished || ctx.cut === r) return;
    const played = ctx.call.playedMs();
    if (r.turnSeq === null) {
      r.playback.cut(played); // nothing played yet: just stop synthesizing
      return;
    }
    if (ctx.record.playedOut(r)) {
      ctx.record.finishQuietly(r);
      if (ctx.current === r) ctx.current = null;
      return;
    }
    ctx.call.clear();
    ctx.record.recordCut(r, r.playback.cut(played));
  }
}
