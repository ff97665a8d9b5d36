import { test } from 'node:test';
import assert from 'node:assert/strict';
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { createResampler, filterBank } from '../../src/audio/resampler.js';

const DIRECTIONS: Array<[number, number]> = [
  [8000, 16000],
  [16000, 8000],
  [8000, 24000],
  [24000, 8000],
  [16000, 24000],
  [24000, 16000],
  [22050, 8000],
  [22050, 16000],
  [44100, 16000],
  [44100, 8000],
  [48000, 8000],
  [48000, 16000],
  [48000, 24000],
];
const DOWN = DIRECTIONS.filter(([from, to]) => from > to);
const UP = DIRECTIONS.filter(([from, to]) => from < to);

/** Linear chirp f0 -> f1 with 5% fades, 0.5 of full scale. */
function chirp(rate: number, f0: number, f1: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const x = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const phase = 2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * seconds));
    const fade = Math.min(1, i / (0.05 * n), (n - i) / (0.05 * n));
    x[i] = Math.round(0.5 * 32767 * fade * Math.sin(phase));
  }
  return x;
}

function tone(rate: number, freq: number, samples: number, amplitude = 0.9): Int16Array {
  return new Int16Array(samples).map((_, i) => Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freq * i) / rate + 0.3)));
}

/** Least-squares fit of a sinusoid at a known frequency over y[from, to); returns amplitude and residual power. */
function fitTone(y: ArrayLike<number>, rate: number, freq: number, from: number, to: number) {
  let cc = 0, ss = 0, cs = 0, yc = 0, ys = 0;
  for (let i = from; i < to; i++) {
    const c = Math.cos((2 * Math.PI * freq * i) / rate);
    const s = Math.sin((2 * Math.PI * freq * i) / rate);
    cc += c * c; ss += s * s; cs += c * s; yc += y[i] * c; ys += y[i] * s;
  }
  const det = cc * ss - cs * cs;
  const a = (yc * ss - ys * cs) / det;
  const b = (ys * cc - yc * cs) / det;
  let residual = 0;
  for (let i = from; i < to; i++) {
    const fit = a * Math.cos((2 * Math.PI * freq * i) / rate) + b * Math.sin((2 * Math.PI * freq * i) / rate);
    residual += (y[i] - fit) ** 2;
  }
  return { amplitude: Math.hypot(a, b), residualPower: residual / (to - from) };
}

function power(x: ArrayLike<number>, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return sum / (to - from);
}

function whole(from: number, to: number, x: Int16Array): Int16Array {
  const r = createResampler(from, to);
  const body = r.process(x);
  const tail = r.flush();
  const all = new Int16Array(body.length + tail.length);
  all.set(body);
  all.set(tail, body.length);
  return all;
}

/** libsamplerate's best sinc converter: its simple() output is already delay-compensated. */
async function oracle(from: number, to: number, x: Int16Array): Promise<Float32Array> {
  const src = await libsamplerate.create(1, from, to, { converterType: libsamplerate.ConverterType.SRC_SINC_BEST_QUALITY });
  try {
    return src.simple(Float32Array.from(x));
  } finally {
    src.destroy();
  }
}

/** Small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('rejects non-integer and non-positive rates', () => {
  assert.throws(() => createResampler(0, 8000), RangeError);
  assert.throws(() => createResampler(8000, -16000), RangeError);
  assert.throws(() => createResampler(8000.5, 16000), RangeError);
});

test('equal rates: the input itself comes back, no delay, nothing to flush', () => {
  const r = createResampler(16000, 16000);
  const x = new Int16Array([1, 2, 3]);
  assert.equal(r.process(x), x);
  assert.equal(r.delaySamples, 0);
  assert.equal(r.delayMs, 0);
  assert.equal(r.flush().length, 0);
});

test('passband matches libsamplerate (best sinc) on a chirp up to 0.9 of the lower Nyquist', async () => {
  for (const [from, to] of DIRECTIONS) {
    const x = chirp(from, 100, 0.9 * (Math.min(from, to) / 2), 1.5);
    const ours = whole(from, to, x);
    const ref = await oracle(from, to, x);
    const D = createResampler(from, to).delaySamples;
    const expectedLength = Math.ceil((x.length * to) / from);
    assert.equal(ours.length - D, expectedLength, `${from}->${to} length`);
    const n = Math.min(ref.length, expectedLength);
    let err = 0;
    for (let i = 0; i < n; i++) err += (ours[i + D] - ref[i]) ** 2;
    const errDb = 10 * Math.log10(err / n / power(ref, 0, n));
    assert.ok(errDb < -80, `${from}->${to}: error vs oracle ${errDb.toFixed(1)} dB`);
  }
});

test('passband is flat within 0.02 dB up to 0.9 of the lower Nyquist', () => {
  for (const [from, to] of DIRECTIONS) {
    const nyquist = Math.min(from, to) / 2;
    for (const f of [50, 300, 1000, 0.5 * nyquist, 0.75 * nyquist, 0.85 * nyquist, 0.9 * nyquist]) {
      const x = tone(from, f, from); // 1 s
      const y = createResampler(from, to).process(x);
      const gain = fitTone(y, to, f, 1000, y.length - 1000).amplitude / fitTone(x, from, f, 0, x.length).amplitude;
      const db = 20 * Math.log10(gain);
      assert.ok(Math.abs(db) < 0.02, `${from}->${to} at ${f} Hz: ${db.toFixed(4)} dB`);
    }
  }
});

test('decimation: tones above the output Nyquist are rejected by at least 70 dB', () => {
  for (const [from, to] of DOWN) {
    const outNyquist = to / 2;
    for (const f of [1.005 * outNyquist, 1.1 * outNyquist, 1.5 * outNyquist, 0.99 * (from / 2)]) {
      const x = tone(from, f, from);
      const r = createResampler(from, to);
      const y = r.process(x);
      const skip = 2 * r.delaySamples; // leave out the start-up transient
      const rejection = 10 * Math.log10(power(x) / Math.max(power(y, skip, y.length - skip), 1e-12));
      assert.ok(rejection >= 70, `${from}->${to} at ${f.toFixed(0)} Hz: ${rejection.toFixed(1)} dB`);
    }
  }
});

test('interpolation: images above the input Nyquist are at least 70 dB down', () => {
  for (const [from, to] of UP) {
    const inNyquist = from / 2;
    for (const f of [1000, 0.9 * inNyquist, 0.99 * inNyquist]) {
      const x = tone(from, f, from);
      const r = createResampler(from, to);
      const y = r.process(x);
      const skip = 2 * r.delaySamples;
      // Everything that is not the tone itself: images plus rounding noise.
      const { residualPower } = fitTone(y, to, f, skip, y.length - skip);
      const rejection = 10 * Math.log10(power(x) / residualPower);
      assert.ok(rejection >= 70, `${from}->${to} at ${f.toFixed(0)} Hz: images ${rejection.toFixed(1)} dB down`);
    }
  }
});

test('chunked processing is sample-identical to one call, whatever the chunk sizes', () => {
  const next = prng(42);
  for (const [from, to] of DIRECTIONS) {
    const x = chirp(from, 200, 0.8 * (Math.min(from, to) / 2), 0.5);
    const reference = whole(from, to, x);
    for (const maxChunk of [1, 7, 160, 2000]) {
      const r = createResampler(from, to);
      const parts: number[] = [];
      for (let off = 0; off < x.length; ) {
        const size = Math.min(x.length - off, Math.floor(next() * (maxChunk + 1))); // includes empty chunks
        parts.push(...r.process(x.subarray(off, off + size)));
        off += size;
      }
      parts.push(...r.flush());
      assert.equal(parts.length, reference.length, `${from}->${to} chunks <= ${maxChunk}: length`);
      const firstDiff = parts.findIndex((v, i) => v !== reference[i]);
      assert.equal(firstDiff, -1, `${from}->${to} chunks <= ${maxChunk}: differs at ${firstDiff}`);
    }
  }
});

test('20 ms chunks of a continuous tone leave no click at chunk boundaries', () => {
  const [from, to] = [8000, 16000];
  const r = createResampler(from, to);
  const x = tone(from, 440, from, 0.5);
  const y: number[] = [];
  for (let off = 0; off < x.length; off += 160) y.push(...r.process(x.subarray(off, off + 160)));
  // A clean 440 Hz sine at 16 kHz moves at most 2*pi*440/16000 of its amplitude per sample.
  const maxStep = 0.5 * 32767 * ((2 * Math.PI * 440) / 16000) + 2;
  for (let i = 2 * r.delaySamples; i < y.length; i++) {
    assert.ok(Math.abs(y[i] - y[i - 1]) <= maxStep, `jump of ${y[i] - y[i - 1]} at ${i}`);
  }
});

test('group delay: an impulse comes out delaySamples late, and the latency is reported', () => {
  for (const [from, to] of DIRECTIONS) {
    const { L, M } = filterBank(from, to);
    const r = createResampler(from, to);
    const x = new Int16Array(M * 40);
    x[M * 10] = 20000; // lands exactly on output sample 10 * L
    const y = whole(from, to, x);
    let peak = 0;
    for (let i = 1; i < y.length; i++) if (y[i] > y[peak]) peak = i;
    assert.equal(peak, 10 * L + r.delaySamples, `${from}->${to}`);
    assert.equal(r.delayMs, (r.delaySamples / to) * 1000);
    assert.ok(r.delayMs > 0 && r.delayMs < 7, `${from}->${to}: ${r.delayMs} ms`);
  }
});

test('a constant input comes out exactly constant once the filter has filled', () => {
  for (const [from, to] of DIRECTIONS) {
    const r = createResampler(from, to);
    const y = r.process(new Int16Array(from / 10).fill(-12345));
    const settled = y.subarray(Math.ceil((filterBank(from, to).K * to) / from) + 1);
    assert.ok(settled.length > 0);
    assert.ok(settled.every((v) => v === -12345), `${from}->${to}`);
  }
});

test('full-scale input clips instead of wrapping around', () => {
  const x = new Int16Array(8000).map((_, i) => (Math.floor(i / 20) % 2 ? 32767 : -32768)); // square wave overshoots
  const y = createResampler(8000, 16000).process(x);
  let prev = y[0];
  for (const v of y) {
    assert.ok(Math.abs(v - prev) < 40000, 'no wrap-around jump');
    prev = v;
  }
  assert.ok(y.includes(32767) && y.includes(-32768));
});

test('a caller-provided output buffer is filled and returned as a view', () => {
  const x = chirp(16000, 100, 3000, 0.2);
  const expected = createResampler(16000, 8000).process(x);
  const r = createResampler(16000, 8000);
  const out = new Int16Array(r.maxOutputLength(320));
  const got: number[] = [];
  for (let off = 0; off < x.length; off += 320) {
    const y = r.process(x.subarray(off, off + 320), out);
    assert.equal(y.buffer, out.buffer);
    got.push(...y);
  }
  assert.deepEqual(got, Array.from(expected));
  assert.throws(() => r.process(new Int16Array(320), new Int16Array(10)), RangeError);
});

test('maxOutputLength bounds every call', () => {
  const next = prng(7);
  for (const [from, to] of DIRECTIONS) {
    const r = createResampler(from, to);
    for (let k = 0; k < 200; k++) {
      const n = Math.floor(next() * 500);
      assert.ok(r.process(new Int16Array(n)).length <= r.maxOutputLength(n), `${from}->${to} n=${n}`);
    }
  }
});

test('reset forgets history; flush resets too, so the instance can start a new stream', () => {
  const x = chirp(24000, 100, 3000, 0.3);
  const fresh = whole(24000, 8000, x);
  const r = createResampler(24000, 8000);
  r.process(chirp(24000, 500, 2000, 0.1));
  r.reset();
  const afterReset = [...r.process(x), ...r.flush()];
  assert.deepEqual(afterReset, Array.from(fresh));
  const afterFlush = [...r.process(x), ...r.flush()];
  assert.deepEqual(afterFlush, Array.from(fresh));
  assert.equal(r.flush().length, 0, 'nothing buffered after a flush');
});

test('instances of one rate pair share the filter bank but not their history', () => {
  assert.equal(filterBank(44100, 16000), filterBank(44100, 16000));
  const a = chirp(44100, 100, 5000, 0.2);
  const b = tone(44100, 700, a.length, 0.3);
  const ra = createResampler(44100, 16000);
  const rb = createResampler(44100, 16000);
  const ya: number[] = [];
  const yb: number[] = [];
  for (let off = 0; off < a.length; off += 882) {
    ya.push(...ra.process(a.subarray(off, off + 882)));
    yb.push(...rb.process(b.subarray(off, off + 882)));
  }
  assert.deepEqual(ya, Array.from(createResampler(44100, 16000).process(a)));
  assert.deepEqual(yb, Array.from(createResampler(44100, 16000).process(b)));
});
