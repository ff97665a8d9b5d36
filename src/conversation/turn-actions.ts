// Turn actions: carries out what turn-taking decides (docs/turn-taking.md) and what the agent's
// turn decides. The caller's turn ended: answer it; barge-in: cut the reply where the caller stopped
// hearing it; a false interruption: resume it from the first unheard sentence; idle prompts, the
// call-length limit, keypad input; a reply that ends the call (hang-up, transfer) once it is heard.
import type { BrainInput, BrainOutput, BrainReply, ReplyAction } from './brain.js';
import type { CallerInput } from './caller-input.js';
import type { ConversationContext } from './conversation-context.js';
import { Keypad } from './keypad.js';
import { ProviderFailure } from './provider-failure.js';
import { endAsFor, type EndAs, type Reply } from './reply.js';
import type { ReplySpeaker } from './reply-speaker.js';
import { StreamPlayback } from './stream-playback.js';
import type { TurnAction } from './turn-taking.js';

export class TurnActions {
  readonly #ctx: ConversationContext;
  readonly #input: CallerInput;
  readonly #speaker: ReplySpeaker;
  readonly #stopListening: () => void;
  readonly keypad: Keypad;

  /** `stopListening`: turn-taking stops (a closing reply is said in full, nothing interrupts it). */
  constructor(ctx: ConversationContext, input: CallerInput, speaker: ReplySpeaker, stopListening: () => void) {
    this.#ctx = ctx;
    this.#input = input;
    this.#speaker = speaker;
    this.#stopListening = stopListening;
    this.keypad = new Keypad(ctx.clock, (input) => {
      if (!ctx.ended) this.#keyInput(input);
    });
  }

  act(actions: readonly TurnAction[]): void {
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
          const reply = this.#ctx.newReply(a.atMs, false);
          this.#ctx.feed({ type: 'replyQueued', nowMs: this.#ctx.clock.now(), replyId: reply.id });
          void this.respond(reply, { type: 'idle', count: a.count });
          break;
        }
        case 'hangup':
          this.#onHangup(a.reason, a.wrapUp);
          break;
        case 'dtmf':
          this.keypad.press(a.digit);
          break;
      }
    }
  }

  /** Asks the brain, then speaks its reply. `onReply` runs once a reply (not a wait for more keys) came back, before it is spoken. */
  async respond(reply: Reply, input: BrainInput, onReply?: () => void): Promise<void> {
    const ctx = this.#ctx;
    reply.input = input;
    let out: BrainOutput;
    try {
      out = await ctx.brain.respond(input, ctx.history, reply.abort.signal);
    } catch (err) {
      if (reply.abort.signal.aborted || ctx.ended) return;
      if (err instanceof ProviderFailure) return ctx.providerFailed(reply, err.report);
      ctx.call.log.warn({ err }, 'brain failed');
      out = { kind: 'reply' as const, reply: { text: ctx.settings.apology, label: 'apology' } };
    }
    if (reply.abort.signal.aborted || ctx.ended) return;
    if (out.kind === 'collect') {
      if (ctx.current === reply) ctx.current = null;
      if (!onReply) ctx.feed({ type: 'replyCancelled', nowMs: ctx.clock.now(), replyId: reply.id });
      this.keypad.waitForMore(out.timeoutMs);
      return;
    }
    onReply?.();
    if (out.kind === 'stream') return this.#speaker.speakStream(reply, out.reply);
    this.deliver(reply, out.reply);
  }

  deliver(reply: Reply, br: BrainReply): void {
    if (br.switchLanguage !== undefined) {
      if (this.#switchLanguage(reply, br.switchLanguage)) return;
      br = { text: br.text || this.#ctx.settings.apology, label: br.label }; // no agent for it after all
    }
    if (br.action) this.closing(reply, br.action);
    this.#speaker.speak(reply, br);
  }

  /** The caller chose another language: the agent that speaks it takes the call (and ends this conversation). */
  #switchLanguage(reply: Reply, language: string): boolean {
    const ctx = this.#ctx;
    if (ctx.current === reply) ctx.current = null;
    this.keypad.clear();
    return ctx.session.switchLanguage?.({ language, via: 'keypad' }) ?? false;
  }

  /** Closing: the goodbye/hand-over is said in full; turn-taking stops listening. */
  closing(reply: Reply, action: ReplyAction): void {
    reply.endAs = endAsFor(action);
    this.#stopListening();
  }

  #onEndOfTurn(a: Extract<TurnAction, { type: 'endOfTurn' }>): void {
    const ctx = this.#ctx;
    if (a.interruptedReplyId !== null && ctx.cut?.id === a.interruptedReplyId) ctx.cut = null; // stays cut
    const span = this.#input.endTurn(a);
    const reply = ctx.newReply(a.turnEndMs, false);
    ctx.call.record('turn.speech-end', {
      replyId: reply.id,
      endpointMs: Math.round(a.atMs - a.turnEndMs),
      reason: a.reason,
      continuation: a.continuation,
      speechMs: Math.round(a.turnEndMs - a.turnStartMs),
    });
    ctx.feed({ type: 'replyQueued', nowMs: ctx.clock.now(), replyId: reply.id });
    void this.#input.answerTurn(reply, a, span);
  }

  #onBargeIn(a: Extract<TurnAction, { type: 'bargeIn' }>): void {
    const ctx = this.#ctx;
    const r = ctx.current;
    if (!r || r.id !== a.replyId || !r.playback) return;
    if (ctx.record.playedOut(r)) {
      ctx.record.finishQuietly(r);
      ctx.current = null;
      return;
    }
    const played = ctx.call.playedMs();
    ctx.call.clear();
    // Model, tools and synthesis stop together; a resumed reply replays what was generated.
    r.abort.abort();
    const heard = r.playback.cut(played);
    ctx.current = null;
    ctx.record.recordCut(r, heard);
    ctx.call.record('barge-in', {
      replyId: r.id,
      cause: a.cause,
      detectMs: Math.round(a.atMs - a.speechOnsetMs),
      heardSentences: heard,
      sentences: r.playback.ledger.sentences.length,
    });
    // Speech may turn out to be noise (the reply resumes); a keypress is final.
    if (a.cause === 'speech') ctx.cut = r;
  }

  #onCancelReply(replyId: string): void {
    const ctx = this.#ctx;
    const r = ctx.current;
    if (!r || r.id !== replyId) return;
    ctx.stop(r);
    ctx.current = null;
    // The caller went on talking: their next turn continues the one this reply answered.
    this.#input.continueTurn();
  }

  #onResume(replyId: string): void {
    const ctx = this.#ctx;
    const r = ctx.cut;
    this.#input.discardTurn();
    // The model was stopped at the barge-in: the reply is what it had generated by then.
    if (r?.playback instanceof StreamPlayback) r.playback.end();
    if (!r || r.id !== replyId || !r.playback || r.heard >= r.playback.ledger.sentences.length) {
      ctx.cut = null;
      ctx.feed({ type: 'replyCancelled', nowMs: ctx.clock.now(), replyId });
      return;
    }
    ctx.cut = null;
    ctx.current = r;
    r.resumed = true;
    ctx.call.record('reply-resumed', { replyId, fromSentence: r.heard });
    r.playback.start(r.heard);
  }

  #onHangup(reason: 'idle' | 'max-duration', wrapUp: boolean): void {
    const ctx = this.#ctx;
    for (const r of [ctx.current, ctx.cut]) if (r) ctx.stop(r);
    ctx.current = ctx.cut = null;
    this.keypad.clear();
    const endAs: EndAs = reason === 'idle' ? { reason: 'bot-hangup', detail: 'idle' } : { reason: 'max-duration', detail: 'max-duration' };
    const text = reason === 'idle' ? ctx.settings.idleGoodbye : ctx.settings.maxDurationWrapUp;
    ctx.call.record('turn.hangup', { reason, wrapUp });
    if (!wrapUp || !text) {
      ctx.call.hangup(endAs.reason, endAs.detail);
      return;
    }
    const reply = ctx.newReply(ctx.clock.now(), false);
    reply.endAs = endAs;
    this.#speaker.speak(reply, { text, label: reason });
  }

  /** A key (or the end of typing) goes to the brain; the keys become a caller turn once it answers. */
  #keyInput(input: BrainInput): void {
    const ctx = this.#ctx;
    const reply = ctx.newReply(ctx.clock.now(), false);
    void this.respond(reply, input, () => {
      const turn = this.keypad.take();
      ctx.call.addTurn({ role: 'caller', text: turn.text, startedAt: ctx.epoch(turn.startedAtMs), endedAt: Date.now() });
      ctx.history.push({ role: 'caller', text: turn.text });
      ctx.feed({ type: 'replyQueued', nowMs: ctx.clock.now(), replyId: reply.id });
    });
  }
}
