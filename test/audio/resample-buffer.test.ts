import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src/audio/resample-buffer.js';

function sine(rate: number, hz: number, seconds: number, amp = 10000): Int16Array {
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
}

/** Amplitude of the `hz` component (single-bin DFT), skipping the edges. */
function amplitudeAt(x: Int16Array, rate: number, hz: number): number {
  let re = 0;
  let im = 0;
  const from = Math.floor(x.length / 10);
  const to = x.length - from;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

test('resample keeps in-band tones and the duration', () => {
  for (const [from, to] of [
    [16000, 8000],
    [24000, 8000],
    [22050, 8000],
    [8000, 16000],
    [16000, 24000],
    [22050, 24000],
  ] as const) {
    const out = resample(sine(from, 1000, 0.5), from, to);
    assert.equal(out.length, Math.ceil((Math.round(from * 0.5) * to) / from), `${from}->${to} length`);
    const a = amplitudeAt(out, to, 1000);
    assert.ok(Math.abs(a - 10000) < 300, `${from}->${to}: 1 kHz amplitude ${a}`);
  }
});

test('resample removes content above the new Nyquist', () => {
  const out = resample(sine(16000, 6000, 0.5), 16000, 8000);
  // 6 kHz would alias to 2 kHz at 8 kHz.
  assert.ok(amplitudeAt(out, 8000, 2000) < 50, 'alias suppressed');
});

test('resample at the same rate copies', () => {
  const x = sine(8000, 500, 0.1);
  const y = resample(x, 8000, 8000);
  assert.deepEqual(y, x);
  assert.notEqual(y.buffer, x.buffer);
});
