// Test audio: real synthesized speech (Flite, through the project's own worker-pool provider) plus
// silence/noise builders. Results are memoised per process.
import { createFliteTts } from '../../src/providers/tts/flite.js';

/** Flite voices: kal is 8 kHz, the others 16 kHz. */
export type FliteVoice = 'kal' | 'kal16' | 'awb' | 'rms' | 'slt';

// Node 20's own node:wasi crashes the process after a few flite runs (nodejs/node#52402); the provider's
// workers run flite on an in-memory WASI instead, so tests use it too.
let tts: ReturnType<typeof createFliteTts> | undefined;
const cache = new Map<string, Int16Array>();

/** Speech for `text` at `sampleRate` Hz (PCM16 mono). Returns a fresh copy each call. */
export async function synthesize(text: string, sampleRate: number, voice: FliteVoice = 'slt'): Promise<Int16Array> {
  const key = `${voice}|${sampleRate}|${text}`;
  let pcm = cache.get(key);
  if (!pcm) {
    tts ??= createFliteTts();
    pcm = (await tts.synthesize(text, { voice, sampleRate })).samples;
    cache.set(key, pcm);
  }
  return pcm.slice();
}

/** Minimal RIFF/WAVE reader for PCM16 mono. */
export function parseWav(buf: Buffer): { samples: Int16Array; sampleRate: number } {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let sampleRate = 0;
  for (let off = 12; off + 8 <= buf.length; ) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      const channels = buf.readUInt16LE(body + 2);
      const bits = buf.readUInt16LE(body + 14);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error('expected PCM16 mono WAV');
      sampleRate = buf.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (!sampleRate) throw new Error('WAV data before fmt');
      const n = Math.floor(Math.min(size, buf.length - body) / 2);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = buf.readInt16LE(body + 2 * i);
      return { samples, sampleRate };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV without data chunk');
}

/**
 * Offline band-limited resampling (Hann-windowed sinc, cutoff at the lower Nyquist).
 * Slow and simple on purpose: test fixture preparation only.
 */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return input.slice();
  const ratio = toRate / fromRate;
  const cutoff = Math.min(1, ratio) * 0.45; // cycles per input sample, a bit under Nyquist
  const halfWidth = Math.ceil(16 / Math.min(1, ratio)); // input samples each side
  const out = new Int16Array(Math.floor(input.length * ratio));
  for (let j = 0; j < out.length; j++) {
    const t = j / ratio;
    const centre = Math.floor(t);
    let acc = 0;
    let norm = 0;
    for (let i = centre - halfWidth + 1; i <= centre + halfWidth; i++) {
      const x = t - i;
      const w = 0.5 + 0.5 * Math.cos((Math.PI * x) / (halfWidth + 1));
      const s = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
      const k = s * w;
      norm += k;
      if (i >= 0 && i < input.length) acc += k * input[i];
    }
    const v = Math.round(acc / norm);
    out[j] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

export function silence(ms: number, sampleRate: number): Int16Array {
  return new Int16Array(Math.round((ms * sampleRate) / 1000));
}

/** Deterministic white noise with the given RMS level (dBFS, full-scale square = 0). */
export function whiteNoise(ms: number, sampleRate: number, levelDbfs: number, seed = 1): Int16Array {
  const out = new Int16Array(Math.round((ms * sampleRate) / 1000));
  const rms = 32768 * 10 ** (levelDbfs / 20);
  let s = seed >>> 0 || 1;
  // Uniform noise on [-a, a] has RMS a/√3.
  const a = rms * Math.sqrt(3);
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = Math.round(((s >>> 0) / 0xffffffff) * 2 * a - a);
  }
  return out;
}

/** Sample-wise sum, saturating; the result has the length of the longer input. */
export function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) {
    const v = (a[i] ?? 0) + (b[i] ?? 0);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Where the speech in a clip really starts and ends (ms), from 5 ms windows whose RMS is
 * within 40 dB of the loudest window: the ground truth tests compare a detector against.
 */
export function speechBounds(samples: Int16Array, sampleRate: number): { startMs: number; endMs: number } {
  const win = Math.round(sampleRate / 200);
  const levels: number[] = [];
  for (let off = 0; off + win <= samples.length; off += win) {
    let e = 0;
    for (let i = off; i < off + win; i++) e += samples[i] * samples[i];
    levels.push(e / win);
  }
  const threshold = Math.max(...levels) * 1e-4;
  const first = levels.findIndex((l) => l > threshold);
  const last = levels.findLastIndex((l) => l > threshold);
  if (first < 0) throw new Error('no speech in clip');
  return { startMs: first * 5, endMs: (last + 1) * 5 };
}

/** Split `samples` into chunks whose sizes cycle through `sizes`. */
export function chunked(samples: Int16Array, sizes: readonly number[]): Int16Array[] {
  const out: Int16Array[] = [];
  for (let off = 0, k = 0; off < samples.length; k++) {
    const n = sizes[k % sizes.length];
    out.push(samples.subarray(off, Math.min(off + n, samples.length)));
    off += n;
  }
  return out;
}
