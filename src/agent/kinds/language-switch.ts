// Language choice on the call. An agent whose definition lists `languages` hands the call to the agent of the
// language the caller chose (a language-menu key, or the language the recogniser detected): that agent's voice,
// recogniser, prompts and brain take over on the same call, and may hand it on again. Each switch is a `language`
// event on the call's timeline (the language, how it was chosen, the agent that took over).
import type { Agent, AgentEndReason, AgentSession, CallControl, LanguageChoice, SayMode, SessionOptions } from '../../conversation/call-contract.js';
import type { PreparedAgent } from './preparation.js';

/** An agent and the languages its callers may switch to, each served by another agent (looked up by name per call). */
export class LanguageSwitchingAgent implements PreparedAgent {
  constructor(
    readonly inner: Agent,
    /** BCP-47 tag the inner agent speaks. */
    readonly language: string,
    /** Tag -> the names of agents that speak it, in order of preference. */
    readonly languages: ReadonlyMap<string, readonly string[]>,
    /** The agent a name stands for on this server (cloud agents without keys may stand for their fallback). */
    private readonly lookup: (name: string) => Agent | undefined,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  async prepare(sampleRates: readonly number[]): Promise<void> {
    const inner = this.inner as Partial<PreparedAgent>;
    if (typeof inner.prepare === 'function') await inner.prepare(sampleRates);
  }

  start(call: CallControl, options?: SessionOptions): AgentSession | Promise<AgentSession> {
    // Already inside a switching call: the session that switched here keeps switching.
    if (options?.switchLanguage) return this.inner.start(call, options);
    return new SwitchingSession(call, this).begin(options);
  }

  /** The agent for `language` from here: the first of its names this server runs, or undefined. */
  target(language: string): Agent | undefined {
    for (const name of this.languages.get(language) ?? []) {
      const agent = this.lookup(name);
      if (agent) return agent;
    }
    return undefined;
  }
}

/** One call: the agent of the language in use, replaced by another when the caller chooses its language. */
class SwitchingSession implements AgentSession {
  #current: AgentSession | undefined;
  #agent: Agent;
  #ended = false;
  #endReason: AgentEndReason = 'agent-switch';
  #generation = 0;

  constructor(
    private readonly call: CallControl,
    first: LanguageSwitchingAgent,
  ) {
    this.#agent = first;
  }

  async begin(options: SessionOptions | undefined): Promise<AgentSession> {
    const first = this.#agent as LanguageSwitchingAgent;
    this.call.record('language', { language: first.language, via: 'start', agent: first.name });
    const session = await first.inner.start(this.call, { ...options, switchLanguage: (c) => this.#switch(c) });
    if (this.#generation === 0) this.#current = session;
    else void session.onEnd?.('agent-switch'); // switched while starting: the chosen agent has the call
    return this;
  }

  onAudio(pcm: Int16Array, timestampMs: number | undefined): void {
    this.#current?.onAudio(pcm, timestampMs);
  }

  onDtmf(digit: string, durationMs: number | undefined): void {
    this.#current?.onDtmf?.(digit, durationMs);
  }

  /** An operator's line, in the voice of the language in use. */
  say(text: string, mode: SayMode): string | undefined {
    const session = this.#current;
    if (!session) return 'the call is switching language';
    return session.say ? session.say(text, mode) : `agent "${this.#agent.name}" cannot speak given text`;
  }

  onEnd(reason: AgentEndReason): void | Promise<void> {
    this.#ended = true;
    this.#endReason = reason;
    const session = this.#current;
    this.#current = undefined;
    return session?.onEnd?.(reason);
  }

  #switch(choice: LanguageChoice): boolean {
    if (this.#ended) return false;
    const from = this.#agent;
    const target = from instanceof LanguageSwitchingAgent ? from.target(choice.language) : undefined;
    if (!target) return false;
    const previous = this.#current;
    this.#current = undefined;
    this.#agent = target;
    const generation = ++this.#generation;
    this.call.record('language', { language: choice.language, via: choice.via, from: from.name, agent: target.name });
    this.call.log.info({ language: choice.language, via: choice.via, agent: target.name }, 'caller chose a language');
    void previous?.onEnd?.('agent-switch');
    this.call.clear();
    void this.#start(target, choice, generation);
    return true;
  }

  async #start(target: Agent, choice: LanguageChoice, generation: number): Promise<void> {
    try {
      const session = await target.start(this.call, { switchLanguage: (c) => this.#switch(c), firstTurn: choice.turn });
      if (this.#ended || generation !== this.#generation) void session.onEnd?.(this.#endReason);
      else this.#current = session;
    } catch (err) {
      this.call.log.error({ err, agent: target.name }, 'the agent of the chosen language could not start');
      if (!this.#ended) this.call.hangup('transfer', `language ${choice.language}: agent failed`);
    }
  }
}
