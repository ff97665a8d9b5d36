// Provider failover: a cloud stage (recogniser, model, voice) that gave up for good, after its one
// retry. Whatever was playing stays cut where the caller heard it; a cached apology follows in the
// offline voice, then the offline brain answers (policy `fallback`), or the hand-over line and the
// transfer.
import type { BrainOutput } from './brain.js';
import type { CallerInput } from './caller-input.js';
import type { ConversationContext } from './conversation-context.js';
import type { Failover } from './conversation-settings.js';
import type { ProviderFailureReport } from './provider-failure.js';
import type { Reply } from './reply.js';

export class ProviderFailover {
  readonly #ctx: ConversationContext;
  readonly #input: CallerInput;
  readonly #failover: Failover | undefined;

  constructor(ctx: ConversationContext, input: CallerInput, failover: Failover | undefined) {
    this.#ctx = ctx;
    this.#input = input;
    this.#failover = failover;
  }

  /** `reply`: the reply the failure hit (null: none, e.g. the recogniser died between turns). Once per call. */
  failed(reply: Reply | null, report: ProviderFailureReport): void {
    const ctx = this.#ctx;
    if (ctx.ended || ctx.failedOver) return;
    ctx.failedOver = true;
    const f = this.#failover;
    const offline = f?.policy === 'fallback' ? f.offline : undefined;
    const inFlight = reply !== null && (reply === ctx.current || reply === ctx.cut);
    const current = ctx.current;
    for (const r of [ctx.current, ctx.cut]) if (r) ctx.stop(r);
    ctx.current = ctx.cut = null;
    if (current) ctx.feed({ type: 'replyCancelled', nowMs: ctx.clock.now(), replyId: current.id });
    ctx.call.record('failover', { stage: report.stage, provider: report.provider, code: report.code, to: offline ? 'offline' : 'transfer', replyId: reply?.id });
    this.#input.closeLive();
    if (f) ctx.voice = f.voice;
    const apology = f?.apology ?? ctx.settings.apology;
    if (offline) {
      ctx.brain = offline.brain;
      this.#input.recogniseWith(offline.stt, offline.grammars);
      // A dead recogniser with nothing being said: the next turn is simply recognised offline.
      if (!inFlight) return;
      const next = ctx.newReply(ctx.clock.now(), reply.greeting);
      next.input = reply.input;
      ctx.feed({ type: 'replyQueued', nowMs: ctx.clock.now(), replyId: next.id, greeting: reply.greeting });
      void this.#respondAfterApology(next, reply, apology);
      return;
    }
    const handover = ctx.newReply(ctx.clock.now(), false);
    ctx.feed({ type: 'replyQueued', nowMs: ctx.clock.now(), replyId: handover.id });
    ctx.deliver(handover, {
      text: `${apology} ${f?.handover ?? ''}`.trim(),
      label: 'failover',
      action: { type: 'transfer', reason: `provider-failure:${report.stage}:${report.code}` },
    });
  }

  /** The apology, then the offline brain's answer to what the failed reply was answering (or its greeting). */
  async #respondAfterApology(next: Reply, failed: Reply, apology: string): Promise<void> {
    const ctx = this.#ctx;
    let out: BrainOutput;
    try {
      if (failed.greeting) out = { kind: 'reply', reply: ctx.brain.greeting() };
      else if (failed.input) out = await ctx.brain.respond(failed.input, ctx.history, next.abort.signal);
      else out = { kind: 'reply', reply: { text: '', label: 'apology' } };
    } catch (err) {
      ctx.call.log.warn({ err }, 'offline brain failed');
      out = { kind: 'reply', reply: { text: '', label: 'apology' } };
    }
    if (next.abort.signal.aborted || ctx.ended) return;
    const answer = out.kind === 'reply' ? out.reply : { text: '', label: 'apology' };
    ctx.deliver(next, { ...answer, text: `${apology} ${answer.text}`.trim(), voice: undefined });
  }
}
