// A Realtime agent with a way out: when its session is refused or lost for good (the bridge gave up reconnecting),
// the call is not dropped. `fallback`: an apology in an offline voice, then the offline agent (its own greeting,
// recogniser and brain) carries on with the caller. `transfer`: a hand-over line, then the call goes to the flow's
// next applet. The lines are synthesized at prepare time, so they play even with no network at all.
import type { VoiceSpec } from '../../conversation/voice-bank.js';
import { VoiceBank } from '../../conversation/voice-bank.js';
import { createRealtimeAgent, type RealtimeAgentOptions, type RealtimeFailure } from './realtime.js';
import type { PreparedAgent } from './preparation.js';
import type { Agent, AgentEndReason, AgentSession, CallControl, SayMode } from '../../conversation/call-contract.js';

export interface RealtimeFallbackOptions {
  /** The bridge's options; `onFailure` is this module's. */
  realtime: Omit<RealtimeAgentOptions, 'onFailure'>;
  /** `fallback` needs `agent`; without one a failure hands over. */
  mode: 'fallback' | 'transfer';
  /** The offline agent that takes the call over. */
  agent?: Agent;
  /** Offline sentence audio for the lines below. */
  voices: VoiceBank;
  voice: VoiceSpec;
  /** Said before the offline agent takes over. */
  apology: string;
  /** Said before handing the caller over. */
  handover: string;
}

/** One call: the Realtime bridge first, the offline agent after a failure. */
class FallbackSession implements AgentSession {
  current: AgentSession | undefined;
  failed = false;
  private ended = false;

  constructor(
    private readonly call: CallControl,
    private readonly o: RealtimeFallbackOptions,
    private readonly name: string,
  ) {}

  attach(session: AgentSession): void {
    if (this.failed || this.ended) void session.onEnd?.('agent-error');
    else this.current = session;
  }

  onAudio(pcm: Int16Array, timestampMs: number | undefined): void {
    this.current?.onAudio(pcm, timestampMs);
  }

  onDtmf(digit: string, durationMs: number | undefined): void {
    this.current?.onDtmf?.(digit, durationMs);
  }

  /** The Realtime model speaks only its own words; the offline agent that took over can say an operator's line. */
  say(text: string, mode: SayMode): string | undefined {
    if (this.current?.say) return this.current.say(text, mode);
    return this.failed ? 'the agent is handing the call over' : `agent "${this.name}" cannot speak given text`;
  }

  onEnd(reason: AgentEndReason): void | Promise<void> {
    this.ended = true;
    const session = this.current;
    this.current = undefined;
    return session?.onEnd?.(reason);
  }

  /** The bridge gave up: stop it, say the line, then hand the call to the offline agent or to the flow. */
  async fail(failure: RealtimeFailure): Promise<void> {
    if (failure.recovering || this.failed || this.ended) return;
    this.failed = true;
    const realtime = this.current;
    this.current = undefined;
    void realtime?.onEnd?.('agent-error');
    this.call.clear();
    const takeOver = this.o.mode === 'fallback' && this.o.agent !== undefined;
    this.call.record('agent.failover', { agent: this.name, kind: failure.kind, phase: failure.phase, to: takeOver ? this.o.agent!.name : 'transfer' });
    this.call.log.warn({ kind: failure.kind, phase: failure.phase, to: takeOver ? this.o.agent!.name : 'transfer' }, 'realtime session failed for good');
    try {
      await this.speak(takeOver ? this.o.apology : this.o.handover);
      if (this.ended) return;
      if (!takeOver) {
        await this.call.mark('realtime-handover');
        if (!this.ended) this.call.hangup('transfer', `realtime ${failure.kind}`);
        return;
      }
      const session = await this.o.agent!.start(this.call);
      if (this.ended) void session.onEnd?.('agent-error');
      else this.current = session;
    } catch (err) {
      this.call.log.error({ err }, 'realtime failover failed');
      if (!this.ended) this.call.hangup('transfer', 'realtime failover failed');
    }
  }

  private async speak(text: string): Promise<void> {
    const rate = this.call.info.sampleRate;
    for (const sentence of VoiceBank.sentences(text)) {
      const audio = await this.o.voices.audio(sentence, this.o.voice, rate, this.call.signal);
      if (this.ended) return;
      this.call.play(audio);
    }
    this.call.flush();
  }
}

/** A Realtime agent whose calls survive the Realtime session failing for good. */
export function createRealtimeAgentWithFallback(options: RealtimeFallbackOptions): PreparedAgent {
  const sessions = new WeakMap<CallControl, FallbackSession>();
  const inner = createRealtimeAgent({
    ...options.realtime,
    onFailure: (failure, call) => void sessions.get(call)?.fail(failure),
  });
  const name = inner.name;
  return {
    name,
    async prepare(sampleRates) {
      const lines = [options.apology, options.handover].map((text) => ({ text, voice: options.voice }));
      await options.voices.warm(lines, sampleRates);
    },
    async start(call) {
      const session = new FallbackSession(call, options, name);
      sessions.set(call, session);
      session.attach(await inner.start(call));
      return session;
    },
  };
}
