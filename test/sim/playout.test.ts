import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlayoutQueue } from '../../src/sim/playout.js';

function ramp(n: number, from = 1): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => from + i);
}

test('plays one 20 ms frame per tick and a short tail costs a whole tick', () => {
  const q = new PlayoutQueue<string>(8000, () => undefined);
  assert.equal(q.frameSamples, 160);
  q.enqueueAudio(ramp(200)); // 1.25 frames -> 2 ticks
  assert.equal(q.bufferedAheadMs, 40);
  const out = new Int16Array(160);
  assert.equal(q.tick(out), 'audio');
  assert.deepEqual(out, ramp(160));
  assert.equal(q.tick(out), 'audio');
  assert.deepEqual(Array.from(out.subarray(0, 40)), Array.from(ramp(40, 161)));
  assert.ok(out.subarray(40).every((s) => s === 0));
  assert.equal(q.bufferedAheadMs, 0);
  assert.equal(q.tick(out), 'ran-dry');
  assert.equal(q.tick(out), 'idle');
});

test('a mark passes only when the audio before it has finished playing', () => {
  const passed: string[] = [];
  const q = new PlayoutQueue<string>(8000, (m) => passed.push(m));
  const out = new Int16Array(160);
  assert.equal(q.enqueueMark('empty'), false, 'idle queue: mark passes immediately');
  q.enqueueAudio(ramp(320));
  assert.equal(q.enqueueMark('end'), true);
  q.tick(out);
  q.tick(out);
  assert.deepEqual(passed, [], 'last frame is still sounding');
  assert.equal(q.tick(out), 'reply-ended');
  assert.deepEqual(passed, ['end']);
});

test('a mark sent while the last frame is sounding waits for the next tick', () => {
  const passed: string[] = [];
  const q = new PlayoutQueue<string>(8000, (m) => passed.push(m));
  const out = new Int16Array(160);
  q.enqueueAudio(ramp(160));
  q.tick(out);
  assert.equal(q.enqueueMark('late'), true);
  q.tick(out);
  assert.deepEqual(passed, ['late']);
});

test('clear drops unplayed audio and the marks behind it', () => {
  const passed: string[] = [];
  const q = new PlayoutQueue<string>(16000, (m) => passed.push(m));
  const out = new Int16Array(320);
  q.enqueueAudio(ramp(3200)); // 10 ticks
  q.enqueueMark('a');
  q.enqueueAudio(ramp(320));
  q.enqueueMark('b');
  q.tick(out);
  const { droppedMs, droppedMarks } = q.clear();
  assert.equal(droppedMs, 200);
  assert.deepEqual(droppedMarks, ['a', 'b']);
  assert.equal(q.tick(out), 'reply-ended');
  assert.ok(out.every((s) => s === 0));
  assert.deepEqual(passed, []);
});
