import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameClock, type SimClock } from '../../src/sim/frame-clock.js';

/** Manual clock: timers fire only when the test advances time, possibly late. */
function manualClock() {
  let now = 1000;
  let pending: { at: number; fn: () => void } | undefined;
  const clock: SimClock = {
    now: () => now,
    setTimeout: (fn, ms) => (pending = { at: now + ms, fn }),
    clearTimeout: () => (pending = undefined),
  };
  return {
    clock,
    /** Moves time to `t` and fires the pending timer if it is due. */
    advanceTo(t: number) {
      now = t;
      if (pending && pending.at <= now) {
        const { fn } = pending;
        pending = undefined;
        fn();
      }
    },
    get nextAt() {
      return pending?.at;
    },
  };
}

test('ticks are due at start + n*period; late timers catch up instead of drifting', () => {
  const m = manualClock();
  const ticks: Array<[number, number]> = [];
  const fc = new FrameClock(20, (i) => ticks.push([i, m.clock.now()]), m.clock);
  fc.start();
  assert.deepEqual(ticks, [[0, 1000]]);
  assert.equal(m.nextAt, 1020);
  m.advanceTo(1027); // 7 ms late
  assert.deepEqual(ticks.at(-1), [1, 1027]);
  assert.equal(m.nextAt, 1040, 'next deadline is not pushed back by the lateness');
  m.advanceTo(1101); // a stall: ticks 2..5 are due
  assert.deepEqual(ticks.slice(2).map(([i]) => i), [2, 3, 4, 5]);
  assert.equal(m.nextAt, 1120);
  fc.stop();
  assert.equal(m.nextAt, undefined);
});
