import type { Timers } from '../../src/store/flush-scheduler.js';

/** Timers that only fire when the test says so. */
export class ManualTimers implements Timers {
  private armed = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  set(fn: () => void, ms: number): unknown {
    this.armed.set(this.next, { fn, ms });
    return this.next++;
  }
  clear(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  delays(): number[] {
    return [...this.armed.values()].map((t) => t.ms);
  }
  fire(): void {
    const all = [...this.armed.values()];
    this.armed.clear();
    for (const t of all) t.fn();
  }
}
