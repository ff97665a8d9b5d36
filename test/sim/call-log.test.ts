import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallLog } from '../../src/sim/call-log.js';
import type { SimClock } from '../../src/sim/frame-clock.js';

/** A clock the test moves by hand, so waiter timeouts fire exactly when told. */
function manualClock() {
  let now = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  const clock: SimClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return t;
    },
    clearTimeout: (t) => timers.delete(t as { at: number; fn: () => void }),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of [...timers]) if (t.at <= now) (timers.delete(t), t.fn());
  };
  return { clock, advance, pending: () => timers.size };
}

test('waitFor matches past events unless told not to, and future ones by predicate', async () => {
  const { clock } = manualClock();
  const log = new CallLog(clock, () => clock.now());
  log.emit('dtmfSent', { digit: '1', atMs: 5 });
  assert.deepEqual(await log.waitFor('dtmfSent'), { digit: '1', atMs: 5 });
  const later = log.waitFor('dtmfSent', { includePast: false });
  const two = log.waitFor('dtmfSent', { predicate: (e) => e.digit === '2' });
  log.emit('dtmfSent', { digit: '3', atMs: 6 });
  log.emit('dtmfSent', { digit: '2', atMs: 7 });
  assert.equal((await later).digit, '3');
  assert.equal((await two).digit, '2');
});

test('a waiter times out on the call clock; the end of the call rejects the rest and later waits', async () => {
  const { clock, advance, pending } = manualClock();
  const log = new CallLog(clock, () => clock.now());
  const timed = log.waitFor('clear', { timeoutMs: 100 });
  const forever = log.waitFor('markEchoed', { timeoutMs: Infinity });
  advance(99);
  advance(1);
  await assert.rejects(timed, /timed out after 100 ms waiting for clear/);
  log.end((name) => `call over before ${name}`);
  await assert.rejects(forever, /call over before markEchoed/);
  assert.equal(pending(), 0, 'no timer left behind');
  await assert.rejects(log.waitFor('clear'), /call already ended; no clear event/);
  log.emit('closed', { endedBy: 'bot', code: 1000, reason: '', atMs: 1 });
  assert.equal((await log.waitFor('closed')).code, 1000, 'the close itself can still be waited for');
});

test('violations are all kept and counted, but only the first of each rule goes on the timeline', async () => {
  let at = 0;
  const { clock } = manualClock();
  const log = new CallLog(clock, () => at);
  const seen = log.waitFor('violation', { predicate: (v) => v.rule === 'burst' });
  at = 10;
  log.violate('odd-length', 'odd', 3);
  at = 20;
  log.violate('odd-length', 'odd again', 4);
  log.violate('burst', 'too fast');
  log.addTimeline('early', 1);
  const snap = log.snapshot();
  assert.equal(snap.violations.length, 3);
  assert.deepEqual(snap.violationCounts, { 'odd-length': 2, burst: 1 });
  assert.deepEqual(snap.timeline.map((e) => e.atMs), [1, 10, 20], 'sorted by time');
  assert.equal(snap.timeline.filter((e) => e.text.includes('[odd-length]')).length, 1);
  assert.equal(snap.violations[0]!.frame, 3);
  assert.equal((await seen).message, 'too fast');
});
