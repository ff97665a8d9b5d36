// Drives a TurnTaker the way a host does: 20 ms VAD frames on a fake clock.
import { TurnTaker } from '../../src/conversation/turn-taking.js';
import type { TurnAction, TurnInput, TurnTakingConfig } from '../../src/conversation/turn-taking.js';

type Untimed<T> = T extends unknown ? Omit<T, 'nowMs'> : never;

export const FRAME_MS = 20;

export class Line {
  readonly engine: TurnTaker;
  /** Host clock, ms. */
  t: number;
  /** Every action the engine returned, in order. */
  readonly log: TurnAction[] = [];

  constructor(config: Partial<TurnTakingConfig> = {}, startMs = 1000) {
    this.engine = new TurnTaker(config);
    this.t = startMs;
    this.send({ type: 'callStarted' });
  }

  /** Feed an input at the current time. */
  send(input: Untimed<TurnInput>): TurnAction[] {
    return this.#keep(this.engine.handle({ ...input, nowMs: this.t } as TurnInput));
  }

  /** `ms` of caller audio as 20 ms frames, voiced or not, at `levelDbfs`. */
  frames(ms: number, voiced: boolean, levelDbfs = voiced ? -20 : -70): TurnAction[] {
    const out: TurnAction[] = [];
    for (let end = this.t + ms; this.t < end; ) {
      const startMs = this.t;
      this.t += FRAME_MS;
      out.push(...this.#keep(this.engine.handle({ type: 'vad', nowMs: this.t, startMs, voiced, levelDbfs })));
    }
    return out;
  }

  speak(ms: number, levelDbfs?: number): TurnAction[] {
    return this.frames(ms, true, levelDbfs);
  }

  silence(ms: number): TurnAction[] {
    return this.frames(ms, false);
  }

  /** Advance the clock by `ms` with no audio, ticking once at the end. */
  wait(ms: number): TurnAction[] {
    this.t += ms;
    return this.#keep(this.engine.tick(this.t));
  }

  /** The bot queues and starts playing a reply now. */
  botSpeaks(replyId: string, greeting = false): TurnAction[] {
    return [...this.send({ type: 'replyQueued', replyId, greeting }), ...this.send({ type: 'botSpeechStarted', replyId })];
  }

  #keep(actions: readonly TurnAction[]): TurnAction[] {
    this.log.push(...actions);
    return [...actions];
  }
}

export function types(actions: readonly TurnAction[]): string[] {
  return actions.map((a) => a.type);
}

export function only<K extends TurnAction['type']>(actions: readonly TurnAction[], type: K): Extract<TurnAction, { type: K }>[] {
  return actions.filter((a): a is Extract<TurnAction, { type: K }> => a.type === type);
}
