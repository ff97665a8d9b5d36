import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DBFS_FLOOR,
  applyGain,
  asBuffer,
  asInt16,
  bytesFor,
  dbfs,
  durationMs,
  floatToInt16,
  int16ToFloat,
  mix,
  rms,
} from '../../src/audio/pcm.js';

test('asInt16 views an even-offset Buffer without copying and reads little-endian samples', () => {
  const bytes = Buffer.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
  const samples = asInt16(bytes);
  assert.deepEqual(Array.from(samples), [1, -1, -32768, 32767]);
  assert.equal(samples.buffer, bytes.buffer);
  bytes[0] = 2; // shared memory: the view sees the change
  assert.equal(samples[0], 2);
});

test('asInt16 copies when the byteOffset is odd, and the copy has the right samples', () => {
  const backing = Buffer.from([0xaa, 0x34, 0x12, 0xcd, 0xab]);
  const odd = backing.subarray(1);
  assert.equal(odd.byteOffset % 2, 1);
  const samples = asInt16(odd);
  assert.deepEqual(Array.from(samples), [0x1234, 0xabcd - 0x10000]);
  assert.notEqual(samples.buffer, backing.buffer);
});

test('asInt16 rejects an odd byte length', () => {
  assert.throws(() => asInt16(Buffer.alloc(3)), RangeError);
});

test('asBuffer shares memory with the samples', () => {
  const samples = new Int16Array([0x0102, -2]);
  const buf = asBuffer(samples.subarray(1));
  assert.deepEqual(Array.from(buf), [0xfe, 0xff]);
  buf[0] = 0xfd;
  assert.equal(samples[1], -3);
});

test('float <-> int16 round-trips exactly and clips out-of-range floats', () => {
  const ints = new Int16Array([-32768, -1, 0, 1, 12345, 32767]);
  assert.deepEqual(Array.from(floatToInt16(int16ToFloat(ints))), Array.from(ints));
  const clipped = floatToInt16(new Float32Array([1.5, 1, -1, -2, 0.5]));
  assert.deepEqual(Array.from(clipped), [32767, 32767, -32768, -32768, 16384]);
});

test('floatToInt16 writes into a caller buffer and returns a view of the used part', () => {
  const out = new Int16Array(8);
  const view = floatToInt16(new Float32Array([0.25, -0.25]), out);
  assert.equal(view.buffer, out.buffer);
  assert.deepEqual(Array.from(view), [8192, -8192]);
  assert.throws(() => floatToInt16(new Float32Array(3), new Int16Array(2)), RangeError);
});

test('rms and dbfs: square wave at full scale is 0 dBFS, half scale about -6, silence is the floor', () => {
  const square = new Int16Array(160).map((_, i) => (i % 2 ? -32768 : 32767));
  assert.ok(Math.abs(dbfs(square)) < 0.001);
  const half = new Int16Array(160).fill(16384);
  assert.ok(Math.abs(rms(half) - 0.5) < 1e-9);
  assert.ok(Math.abs(dbfs(half) - 20 * Math.log10(0.5)) < 1e-9);
  assert.equal(dbfs(new Int16Array(160)), DBFS_FLOOR);
  assert.equal(rms(new Int16Array(0)), 0);
  const sine = new Int16Array(8000).map((_, i) => Math.round(32767 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
  assert.ok(Math.abs(dbfs(sine) + 3.01) < 0.01);
});

test('applyGain scales with rounding and clips; in place works', () => {
  const x = new Int16Array([100, -100, 20000, -20000]);
  assert.deepEqual(Array.from(applyGain(x, 0.5)), [50, -50, 10000, -10000]);
  applyGain(x, 2, x);
  assert.deepEqual(Array.from(x), [200, -200, 32767, -32768]);
});

test('mix sums with clipping and rejects different lengths', () => {
  const a = new Int16Array([1000, 30000, -30000]);
  const b = new Int16Array([-500, 10000, -10000]);
  assert.deepEqual(Array.from(mix(a, b)), [500, 32767, -32768]);
  assert.throws(() => mix(a, new Int16Array(2)), RangeError);
});

test('durationMs and bytesFor convert between bytes and time', () => {
  assert.equal(bytesFor(20, 8000), 320);
  assert.equal(bytesFor(20, 16000), 640);
  assert.equal(bytesFor(10, 22050), 442); // 220.5 samples rounds to 221 whole samples
  assert.equal(durationMs(320, 8000), 20);
  assert.equal(durationMs(48000, 24000), 1000);
});
