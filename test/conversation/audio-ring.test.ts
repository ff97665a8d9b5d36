import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioRing } from '../../src/conversation/audio-ring.js';

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
