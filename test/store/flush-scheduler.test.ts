import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlushScheduler, type Timers } from '../../src/store/flush-scheduler.js';

class FakeTimers implements Timers {
  armed = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  set(fn: () => void, ms: number): unknown {
    const h = this.next++;
    this.armed.set(h, { fn, ms });
    return h;
  }
  clear(handle: unknown): void {
    this.armed.delete(handle as number);
  }
  delays(): number[] {
    return [...this.armed.values()].map((t) => t.ms);
  }
  fireAll(): void {
    const all = [...this.armed];
    this.armed.clear();
    for (const [, t] of all) t.fn();
  }
}

function setup() {
  const timers = new FakeTimers();
  let flushes = 0;
  const s = new FlushScheduler(() => flushes++, { intervalMs: 100, maxBatchOps: 10, timers });
  return { timers, s, flushes: () => flushes };
}

test('the first write arms one interval timer; later writes do not add timers', () => {
  const { timers, s, flushes } = setup();
  s.enqueued(1);
  s.enqueued(2);
  s.enqueued(3);
  assert.deepEqual(timers.delays(), [100]);
  assert.equal(flushes(), 0, 'never flushes in the caller stack');
  timers.fireAll();
  assert.equal(flushes(), 1);
  assert.deepEqual(timers.delays(), []);
});

test('a full batch re-arms for an immediate flush', () => {
  const { timers, s, flushes } = setup();
  s.enqueued(1);
  s.enqueued(10);
  assert.deepEqual(timers.delays(), [0]);
  s.enqueued(11);
  assert.deepEqual(timers.delays(), [0]);
  assert.equal(flushes(), 0);
  timers.fireAll();
  assert.equal(flushes(), 1);
});

test('cancel disarms, and a failure retries after the interval', () => {
  const { timers, s } = setup();
  s.enqueued(10);
  s.cancel();
  assert.deepEqual(timers.delays(), []);
  s.failed();
  assert.deepEqual(timers.delays(), [100]);
});
