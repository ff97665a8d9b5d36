import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioRing, spareRingBytes } from '../../src/conversation/audio-ring.js';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => (from + i) % 30000);

test('slices by stream time across wrap-around, clamped to what is still held', () => {
  const ring = new AudioRing(8000, 100); // 800 samples
  for (let i = 0; i < 5; i++) ring.write(ramp(i * 300, 300)); // 1500 samples = 187.5 ms
  assert.equal(ring.endMs, 187.5);
  assert.deepEqual(ring.slice(100, 150), ramp(800, 400));
  assert.deepEqual(ring.slice(0, 200), ramp(700, 800), 'only the last 100 ms survive');
  assert.equal(ring.slice(150, 150).length, 0);
});

test('a write larger than the ring keeps its tail', () => {
  const ring = new AudioRing(8000, 10); // 80 samples
  ring.write(ramp(0, 200));
  assert.deepEqual(ring.slice(0, 1000), ramp(120, 80));
});

test("a released ring's buffer goes to the next call, which never sees the previous call's audio", () => {
  const first = new AudioRing(8000, 37); // 296 samples: a length no other test uses
  first.write(ramp(1000, 296));
  const spareBefore = spareRingBytes();
  first.release();
  assert.equal(spareRingBytes(), spareBefore + 296 * 2, 'the buffer waits for the next ring');
  assert.equal(first.slice(0, 1000).length, 0, 'a late slice of the released ring is empty');
  first.write(ramp(0, 10));
  assert.equal(first.slice(0, 1000).length, 0, 'a late write is dropped');

  const next = new AudioRing(8000, 37);
  assert.equal(spareRingBytes(), spareBefore, 'the spare buffer was reused');
  assert.equal(next.slice(0, 1000).length, 0, 'nothing written yet, nothing to read');
  next.write(ramp(5, 8));
  assert.deepEqual(next.slice(0, 1000), ramp(5, 8), 'only what this ring wrote');
});
