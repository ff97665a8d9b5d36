/** Time source and one-shot timers, injectable so pacing and time-outs are testable without waiting. */
export interface Scheduler {
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { readonly __timer: unique symbol } | object;

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A manual clock for tests: timers fire only when `advance` moves time past them, in order. */
export class ManualScheduler implements Scheduler {
  private t = 0;
  private seq = 0;
  private timers = new Map<object, { at: number; seq: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const h = {};
    this.timers.set(h, { at: this.t + Math.max(0, ms), seq: this.seq++, fn });
    return h;
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Moves time forward by `ms`, firing due timers in time order (timers they set are honoured too). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [object, { at: number; seq: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= end && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }

  get pendingTimers(): number {
    return this.timers.size;
  }
}
