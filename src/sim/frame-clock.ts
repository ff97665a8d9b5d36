/**
 * Drift-free periodic ticker: tick n is due at start + n*period, so timer lateness never accumulates;
 * after a stall the missed ticks run back to back (as a real playout clock would catch up).
 */
export interface SimClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: SimClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class FrameClock {
  private startedAt = 0;
  private next = 0;
  private timer: unknown;
  private running = false;

  constructor(
    private readonly periodMs: number,
    private readonly onTick: (index: number) => void,
    private readonly clock: SimClock = realClock,
  ) {}

  /** Clock time of tick 0. */
  get startTime(): number {
    return this.startedAt;
  }

  /** Starts ticking; tick 0 runs synchronously. */
  start(): void {
    this.startedAt = this.clock.now();
    this.running = true;
    this.run();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const due = Math.floor((this.clock.now() - this.startedAt) / this.periodMs);
    while (this.running && this.next <= due) this.onTick(this.next++);
    if (!this.running) return;
    const wait = this.startedAt + this.next * this.periodMs - this.clock.now();
    this.timer = this.clock.setTimeout(this.run, Math.max(0, wait));
  };
}
