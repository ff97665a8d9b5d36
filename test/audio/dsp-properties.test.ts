import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { alawDecode, alawEncode, alawToPcm16, pcm16ToAlaw, pcm16ToUlaw, ulawDecode, ulawEncode, ulawToPcm16 } from '../../src/audio/g711.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { createResampler } from '../../src/audio/resampler.js';

/** The rates the gateway meets: Exotel's, the recognisers', and the usual TTS outputs. */
const rate = fc.constantFrom(8000, 11025, 16000, 22050, 24000, 44100, 48000);
/** Arbitrary PCM16, biased towards full-scale extremes, where overflow would show. */
const pcm = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-32768, 32767, -32767, 0)), { maxLength })
    .map((a) => Int16Array.from(a));

test('resampling: exact length, and full-scale input saturates instead of wrapping around', () => {
  fc.assert(
    fc.property(rate, rate, pcm(600), (from, to, x) => {
      const y = resample(x, from, to);
      assert.equal(y.length, Math.ceil((x.length * to) / from));
      // Linear up to saturation: y is 4x the output for x/4, except where that exceeds int16, where y sits at the
      // rail of the same sign. A wrapped sample (32767 + 1 -> -32768) breaks this by ~65536.
      const y4 = resample(Int16Array.from(x, (v) => Math.round(v / 4)), from, to);
      const tol = 16;
      for (let i = 0; i < y.length; i++) {
        const e = 4 * y4[i]!;
        if (e > 32767 - tol) assert.ok(y[i]! >= 32767 - 2 * tol, `sample ${i}: ${y[i]} for ~${e}`);
        else if (e < -32768 + tol) assert.ok(y[i]! <= -32768 + 2 * tol, `sample ${i}: ${y[i]} for ~${e}`);
        else assert.ok(Math.abs(y[i]! - e) <= tol, `sample ${i}: ${y[i]}, expected ~${e} (${from} -> ${to} Hz)`);
      }
    }),
    { numRuns: 150 },
  );
});

test('streaming resampler: any chunking gives the same samples as one call, every one an int16', () => {
  fc.assert(
    fc.property(rate, rate, pcm(800), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 8 }), (from, to, x, cuts) => {
      const whole = createResampler(from, to);
      const expected = [...whole.process(x), ...whole.flush()];
      const chunked = createResampler(from, to);
      const got: number[] = [];
      let at = 0;
      for (const n of cuts) {
        got.push(...chunked.process(x.subarray(at, Math.min(x.length, at + n))));
        at = Math.min(x.length, at + n);
      }
      got.push(...chunked.process(x.subarray(at)), ...chunked.flush());
      assert.deepEqual(got, expected);
      for (const v of got) assert.ok(Number.isInteger(v) && v >= -32768 && v <= 32767);
    }),
    { numRuns: 150 },
  );
});

test('a full-scale constant comes out at full scale with its sign (no overflow at the rails)', () => {
  fc.assert(
    fc.property(rate, rate, fc.constantFrom(32767, -32768), fc.integer({ min: 60, max: 250 }), (from, to, level, ms) => {
      const y = resample(new Int16Array(Math.round((from * ms) / 1000)).fill(level), from, to);
      assert.ok(y.length > 2 * Math.ceil(to / 100));
      // Away from the edges (where the filter sees the silence around the signal) the output is the level.
      const edge = Math.ceil(to / 100);
      for (let i = edge; i < y.length - edge; i++) assert.ok(Math.abs(y[i]! - level) <= 2, `sample ${i}: ${y[i]} for ${level}`);
    }),
    { numRuns: 60 },
  );
});

test('G.711: every sample round-trips within the codec step, monotonic, and the array forms agree', () => {
  for (const [name, enc, dec] of [
    ['mu-law', ulawEncode, ulawDecode],
    ['A-law', alawEncode, alawDecode],
  ] as const) {
    let prior = -Infinity;
    for (let s = -32768; s <= 32767; s++) {
      const d = dec(enc(s));
      assert.ok(Number.isInteger(d) && d >= -32768 && d <= 32767, `${name} ${s} -> ${d}`);
      // Logarithmic steps: at most 1/16 of the magnitude (plus the smallest step near zero).
      assert.ok(Math.abs(d - s) <= Math.abs(s) / 16 + 64, `${name} ${s} -> ${d}`);
      assert.ok(d >= prior, `${name} not monotonic at ${s}`);
      prior = d;
    }
    for (let c = 0; c < 256; c++) assert.equal(dec(enc(dec(c))), dec(c), `${name} code ${c}`);
  }
  fc.assert(
    fc.property(pcm(500), fc.uint8Array({ maxLength: 500 }), (samples, codes) => {
      assert.deepEqual([...pcm16ToUlaw(samples)], [...samples].map(ulawEncode));
      assert.deepEqual([...pcm16ToAlaw(samples)], [...samples].map(alawEncode));
      assert.deepEqual([...ulawToPcm16(codes)], [...codes].map(ulawDecode));
      assert.deepEqual([...alawToPcm16(codes)], [...codes].map(alawDecode));
    }),
    { numRuns: 200 },
  );
});
