// Keypad input: the digits a caller types, collected while the brain waits for more of them (each
// press goes to the brain, which answers or asks for more within a time), and given to the
// transcript as one caller turn once the brain answers.
import type { Scheduler, TimerHandle } from '../clock/scheduler.js';
import type { BrainInput } from './brain.js';

/** The typed keys as a caller turn. */
export interface KeypadTurn {
  text: string;
  /** Host time of the first key. */
  startedAtMs: number;
}

export class Keypad {
  readonly #clock: Scheduler;
  readonly #onInput: (input: BrainInput) => void;
  #keys = '';
  #startedAt = 0;
  #timer: TimerHandle | null = null;

  /** `onInput` gets each key, and `dtmfTimeout` when the caller stopped typing. */
  constructor(clock: Scheduler, onInput: (input: BrainInput) => void) {
    this.#clock = clock;
    this.#onInput = onInput;
  }

  press(digit: string): void {
    this.clear();
    if (this.#keys === '') this.#startedAt = this.#clock.now();
    this.#keys += digit;
    this.#onInput({ type: 'dtmf', digit });
  }

  /** The brain wants more keys: without another press within `timeoutMs`, `dtmfTimeout`. */
  waitForMore(timeoutMs: number): void {
    this.clear();
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = null;
      this.#onInput({ type: 'dtmfTimeout' });
    }, timeoutMs);
  }

  /** The keys typed since the last turn, as one turn; collection starts afresh. */
  take(): KeypadTurn {
    const turn = { text: `[DTMF] ${this.#keys}`, startedAtMs: this.#startedAt };
    this.#keys = '';
    return turn;
  }

  /** Stops waiting for more keys. */
  clear(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
  }
}
