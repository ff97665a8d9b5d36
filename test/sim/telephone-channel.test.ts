import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activePower, telephoneChannel, TELEPHONE_RATE } from '../../src/sim/telephone-channel.js';

function tone(hz: number, ms: number, rate: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round((ms * rate) / 1000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Power of the middle half (past the filters' and resampler's start-up), in dB. */
function levelDb(x: ArrayLike<number>): number {
  let e = 0;
  const from = Math.floor(x.length / 4);
  const to = Math.floor((3 * x.length) / 4);
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return 10 * Math.log10(e / (to - from));
}

const clean = { snrDb: null, seed: 1 } as const;

test('the line is 8 kHz: one second in is one second out', () => {
  assert.equal(telephoneChannel(tone(1000, 1000, 16000), 16000, clean).length, TELEPHONE_RATE);
  assert.equal(telephoneChannel(tone(1000, 1000, 22050), 22050, clean).length, TELEPHONE_RATE);
});

test('in band passes within 1 dB; 100 Hz and 3900 Hz are cut by more than 12 dB', () => {
  const input = levelDb(tone(1000, 1000, 16000));
  const gain = (hz: number) => levelDb(telephoneChannel(tone(hz, 1000, 16000), 16000, clean)) - input;
  for (const hz of [500, 1000, 2000, 3000]) assert.ok(Math.abs(gain(hz)) < 1, `${hz} Hz: ${gain(hz).toFixed(2)} dB`);
  assert.ok(gain(100) < -12, `100 Hz: ${gain(100).toFixed(2)} dB`);
  assert.ok(gain(3900) < -12, `3900 Hz: ${gain(3900).toFixed(2)} dB`);
});

test('the noise added is at the SNR asked for (within 0.5 dB)', () => {
  const speech = tone(800, 2000, 16000);
  const noiseless = telephoneChannel(speech, 16000, clean);
  for (const snrDb of [20, 25, 30]) {
    const noisy = telephoneChannel(speech, 16000, { snrDb, seed: 7 });
    const noise = noisy.map((v, i) => v - noiseless[i]);
    const measured = 10 * Math.log10(activePower(noiseless, TELEPHONE_RATE) / activePower(noise, TELEPHONE_RATE));
    assert.ok(Math.abs(measured - snrDb) < 0.5, `asked ${snrDb} dB, measured ${measured.toFixed(2)} dB`);
  }
});

test('the same seed gives the same audio, another seed other noise', () => {
  const speech = tone(500, 500, 16000);
  const a = telephoneChannel(speech, 16000, { snrDb: 20, seed: 3, codec: 'ulaw' });
  const b = telephoneChannel(speech, 16000, { snrDb: 20, seed: 3, codec: 'ulaw' });
  const c = telephoneChannel(speech, 16000, { snrDb: 20, seed: 4, codec: 'ulaw' });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('silence gets line noise, not nothing; G.711 round trips stay close to the input', () => {
  const hiss = telephoneChannel(new Int16Array(16000), 16000, { snrDb: 25, seed: 1 });
  assert.ok(activePower(hiss, TELEPHONE_RATE) > 0);
  const speech = tone(1000, 500, 16000);
  const linear = telephoneChannel(speech, 16000, clean);
  for (const codec of ['ulaw', 'alaw'] as const) {
    const coded = telephoneChannel(speech, 16000, { ...clean, codec });
    assert.notDeepEqual(coded, linear);
    const err = coded.map((v, i) => v - linear[i]);
    assert.ok(levelDb(linear) - levelDb(err) > 30, `${codec}: SNR of the codec ${(levelDb(linear) - levelDb(err)).toFixed(1)} dB`);
  }
});
