// Decides when a write-behind queue is flushed: `intervalMs` after the first write into an empty queue
// (so a write waits at most that long and an idle store runs no timer), sooner when the queue reaches
// `maxBatchOps`, and after a back-off delay when a flush failed (new writes do not bring that retry
// forward: a failing database is not hammered). Never flushes inside the caller's stack: the media path
// only enqueues. Timers are injectable for tests.

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  // unref: a store must not keep the process alive; owners call close() on shutdown to flush.
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface FlushSchedulerOptions {
  intervalMs: number;
  maxBatchOps: number;
  timers?: Timers;
}

export class FlushScheduler {
  private handle: unknown = null;
  private dueAt = Infinity; // the delay the armed timer was set with: 0 (soon) or intervalMs
  private retrying = false;
  private readonly timers: Timers;

  constructor(
    private readonly flush: () => void,
    private readonly options: FlushSchedulerOptions,
  ) {
    this.timers = options.timers ?? realTimers;
  }

  /** Call after enqueuing, with the queue length. */
  enqueued(pending: number): void {
    if (this.retrying) return;
    if (pending >= this.options.maxBatchOps) this.arm(0);
    else if (pending > 0) this.arm(this.options.intervalMs);
  }

  /** Call when a flush failed and left writes pending: retry after `delayMs`, whatever is enqueued meanwhile. */
  failed(delayMs = this.options.intervalMs): void {
    this.cancel();
    this.arm(delayMs);
    this.retrying = true;
  }

  /** Call when the owner flushed by itself (flush(), a read): the armed timer has nothing to do. */
  cancel(): void {
    if (this.handle !== null) this.timers.clear(this.handle);
    this.handle = null;
    this.dueAt = Infinity;
    this.retrying = false;
  }

  private arm(delay: number): void {
    if (this.handle !== null && this.dueAt <= delay) return;
    this.cancel();
    this.dueAt = delay;
    this.handle = this.timers.set(() => {
      this.handle = null;
      this.dueAt = Infinity;
      this.retrying = false;
      this.flush();
    }, delay);
  }
}
