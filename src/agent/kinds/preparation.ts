import { loadVadRuntime, type VadRuntime } from '../../audio/vad.js';
import type { CompiledGrammar } from '../../providers/types.js';
import type { Agent, AgentSession, CallControl, SessionOptions } from '../../conversation/call-contract.js';

/** An agent that needs work before its first call (grammars, cached prompts); start-up awaits it. */
export interface PreparedAgent extends Agent {
  /** Compiles what the agent listens for and synthesizes its fixed prompts at these call rates. */
  prepare(sampleRates: readonly number[]): Promise<void>;
}

/** What a conversation needs before its first call: grammars compiled, the shared VAD loaded. */
export interface Prepared {
  grammars: ReadonlyMap<string, CompiledGrammar>;
  vad: VadRuntime;
}

/**
 * The start-up work of an agent built on the conversation engine: compile its grammars once, and cache its
 * fixed prompts at every call rate asked for (one synthesis per prompt, converted to each rate). A call at a prepared rate opens at once, so the cached greeting's first
 * frame leaves within milliseconds; any other call waits for its rate to be prepared.
 */
class AgentPreparation {
  readonly #compile: () => Promise<ReadonlyMap<string, CompiledGrammar>>;
  readonly #warm: (rates: readonly number[]) => Promise<void>;
  #grammars: Promise<ReadonlyMap<string, CompiledGrammar>> | undefined;
  #ready: Prepared | undefined;
  readonly #rates = new Map<number, Promise<void>>();
  readonly #warmRates = new Set<number>();

  constructor(compile: () => Promise<ReadonlyMap<string, CompiledGrammar>>, warm: (rates: readonly number[]) => Promise<void>) {
    this.#compile = compile;
    this.#warm = warm;
  }

  async prepare(sampleRates: readonly number[]): Promise<void> {
    this.#grammars ??= this.#compile();
    const [grammars, vad] = await Promise.all([this.#grammars, loadVadRuntime(), this.#warmOnce(sampleRates)]);
    this.#ready = { grammars, vad };
  }

  /** Runs `open` now when `rate` is prepared, else once it is. */
  open<T>(rate: number, open: (ready: Prepared) => T): T | Promise<T> {
    if (this.#ready && this.#warmRates.has(rate)) return open(this.#ready);
    return this.prepare([rate]).then(() => open(this.#ready!));
  }

  /** Warms the rates not yet warmed or warming, all in one pass (each prompt synthesized once for all of them). */
  #warmOnce(sampleRates: readonly number[]): Promise<unknown> {
    const missing = [...new Set(sampleRates)].filter((r) => !this.#rates.has(r));
    if (missing.length > 0) {
      const pending = this.#warm(missing).then(
        () => missing.forEach((r) => this.#warmRates.add(r)),
        (err: unknown) => {
          for (const r of missing) this.#rates.delete(r); // a later call may try again
          throw err;
        },
      );
      for (const r of missing) this.#rates.set(r, pending);
    }
    return Promise.all(sampleRates.map((r) => this.#rates.get(r)));
  }
}

/** An agent on the conversation engine: prepared once (per call rate), each call opened on what was prepared. */
export abstract class ConversationAgent implements PreparedAgent {
  abstract readonly name: string;
  readonly #preparation = new AgentPreparation(
    () => this.compile(),
    (rates) => this.warm(rates),
  );

  prepare(sampleRates: readonly number[]): Promise<void> {
    return this.#preparation.prepare(sampleRates);
  }

  start(call: CallControl, options: SessionOptions = {}): AgentSession | Promise<AgentSession> {
    return this.#preparation.open(call.info.sampleRate, (ready) => this.open(call, ready, options));
  }

  /** The grammars the agent's calls listen for. */
  protected abstract compile(): Promise<ReadonlyMap<string, CompiledGrammar>>;
  /** Caches the fixed prompts at these call rates. */
  protected abstract warm(rates: readonly number[]): Promise<void>;
  protected abstract open(call: CallControl, ready: Prepared, options: SessionOptions): AgentSession;
}
