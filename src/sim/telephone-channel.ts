// A telephone line as a caller's speech reaches Exotel: 8 kHz, the 300-3400 Hz voice band, line noise at a
// chosen signal-to-noise ratio and optionally a G.711 round trip. Pure and seeded, so an evaluation that plays
// clean synthetic speech through it hears the same degraded audio on every run.
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../audio/g711.js';
import { resample } from '../audio/resample-buffer.js';

export const TELEPHONE_RATE = 8000;

export interface TelephoneChannelOptions {
  /** Speech level over noise level (dB, both measured in band); null = no noise. */
  snrDb: number | null;
  /** A G.711 encode/decode round trip after the noise, as Exotel's PSTN leg does; default none. */
  codec?: 'none' | 'ulaw' | 'alaw';
  /** Seeds the noise: equal seeds, equal output. */
  seed: number;
  /** Band edges (Hz); default 300 and 3400. */
  lowHz?: number;
  highHz?: number;
}

/** Second-order section (RBJ cookbook biquad). */
interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

function biquad(kind: 'lowpass' | 'highpass', hz: number, rate: number, q: number): Biquad {
  const w = (2 * Math.PI * hz) / rate;
  const alpha = Math.sin(w) / (2 * q);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const k = kind === 'lowpass' ? (1 - cos) / 2 : (1 + cos) / 2;
  const b1 = kind === 'lowpass' ? 1 - cos : -(1 + cos);
  return { b0: k / a0, b1: b1 / a0, b2: k / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

function filter(x: Float64Array, f: Biquad): Float64Array {
  const y = new Float64Array(x.length);
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = f.b0 * x[i] + f.b1 * x1 + f.b2 * x2 - f.a1 * y1 - f.a2 * y2;
    x2 = x1;
    x1 = x[i];
    y2 = y1;
    y1 = v;
    y[i] = v;
  }
  return y;
}

/** The two sections' Qs of a fourth-order Butterworth filter (flat in band, 24 dB/octave outside). */
const BUTTERWORTH_4 = [0.5412, 1.3066];

/** Fourth-order Butterworth high-pass at `lowHz`, then low-pass at `highHz`. */
export function bandPass(x: Float64Array, rate: number, lowHz = 300, highHz = 3400): Float64Array {
  let y = x;
  for (const q of BUTTERWORTH_4) y = filter(y, biquad('highpass', lowHz, rate, q));
  for (const q of BUTTERWORTH_4) y = filter(y, biquad('lowpass', highHz, rate, q));
  return y;
}

/** Mean power of the active part: 20 ms frames within 30 dB of the loudest (pauses would dilute the level). */
export function activePower(x: ArrayLike<number>, rate: number): number {
  const win = Math.max(1, Math.round(rate / 50));
  const frames: number[] = [];
  for (let off = 0; off + win <= x.length; off += win) {
    let e = 0;
    for (let i = off; i < off + win; i++) e += x[i] * x[i];
    frames.push(e / win);
  }
  if (frames.length === 0) return 0;
  const floor = Math.max(...frames) * 1e-3;
  const active = frames.filter((p) => p >= floor && p > 0);
  return active.length === 0 ? 0 : active.reduce((a, b) => a + b, 0) / active.length;
}

/** xorshift32 + Box-Muller: Gaussian noise that depends on the seed only. */
export function gaussianNoise(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 0x9e3779b9;
  const uniform = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 1) / 4294967297;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

function toInt16(x: Float64Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = Math.round(x[i]);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * `pcm` (mono PCM16 at `sampleRate`) as it arrives over the line: PCM16 at 8 kHz. Noise is in band (filtered
 * with the speech) and scaled against the speech's active level, so `snrDb` holds whatever the clip's loudness.
 * A clip with no signal (silence) gets the noise at the level it would have under speech at -26 dBFS.
 */
export function telephoneChannel(pcm: Int16Array, sampleRate: number, options: TelephoneChannelOptions): Int16Array {
  const { lowHz = 300, highHz = 3400 } = options;
  const at8k = resample(pcm, sampleRate, TELEPHONE_RATE);
  const speech = bandPass(Float64Array.from(at8k), TELEPHONE_RATE, lowHz, highHz);
  let line = speech;
  if (options.snrDb !== null) {
    const noise = bandPass(gaussianNoise(speech.length, options.seed), TELEPHONE_RATE, lowHz, highHz);
    const signal = activePower(speech, TELEPHONE_RATE) || (32768 * 10 ** (-26 / 20)) ** 2;
    const noisePower = noise.reduce((a, v) => a + v * v, 0) / Math.max(1, noise.length);
    const gain = noisePower > 0 ? Math.sqrt(signal / noisePower / 10 ** (options.snrDb / 10)) : 0;
    line = speech.map((v, i) => v + gain * noise[i]);
  }
  const out = toInt16(line);
  if (options.codec === 'ulaw') for (let i = 0; i < out.length; i++) out[i] = ulawDecode(ulawEncode(out[i]));
  if (options.codec === 'alaw') for (let i = 0; i < out.length; i++) out[i] = alawDecode(alawEncode(out[i]));
  return out;
}
