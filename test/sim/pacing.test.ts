import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacingMonitor } from '../../src/sim/pacing.js';

test('frames arriving with more than the threshold queued ahead form one burst', () => {
  const p = new PacingMonitor({ burstThresholdMs: 500, replyGapMs: 1000 });
  assert.equal(p.onBotFrame(0, 3200, 200, 0), undefined);
  assert.equal(p.onBotFrame(1, 3200, 200, 200), undefined); // 400 ms queued
  const burst = p.onBotFrame(2, 3200, 200, 400); // 600 ms
  assert.ok(burst);
  assert.equal(p.onBotFrame(3, 3200, 200, 600), undefined, 'same burst continues');
  p.onBotFrame(900, 3200, 200, 100); // back under the threshold
  assert.ok(p.onBotFrame(901, 3200, 200, 400), 'a new burst opens');
  const s = p.summary();
  assert.equal(s.bursts.length, 2);
  assert.deepEqual(s.bursts[0], { startMs: 2, peakAheadMs: 800, frames: 2 });
  assert.equal(s.maxAheadMs, 800);
});

test('a dry queue refilled within the reply window is an underrun; after a reply end it is not', () => {
  const p = new PacingMonitor({ burstThresholdMs: 500, replyGapMs: 1000 });
  p.onBotFrame(0, 3200, 200, 0);
  p.onRanDry(200);
  p.onBotFrame(260, 3200, 200, 0);
  p.onRanDry(460);
  p.onBotFrame(2000, 3200, 200, 0); // beyond the window: a new reply
  p.onReplyEnded();
  p.onBotFrame(2300, 3200, 200, 0);
  const s = p.summary();
  assert.equal(s.underruns.count, 1);
  assert.equal(s.underruns.totalGapMs, 60);
});

test('jitter is the deviation of arrival intervals from the frame duration', () => {
  const p = new PacingMonitor({ burstThresholdMs: 500, replyGapMs: 1000 });
  const arrivals = [0, 200, 410, 600, 800, 1030];
  for (const t of arrivals) p.onBotFrame(t, 3200, 200, 0);
  const { jitterMs } = p.summary();
  // The first interval of a reply is its lead-in and is not counted: 210, 190, 200, 230 remain.
  assert.equal(jitterMs.samples, 4);
  assert.equal(jitterMs.p50, 10);
  assert.equal(jitterMs.max, 30);
  assert.equal(jitterMs.p99, 30);
});
