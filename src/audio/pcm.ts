// PCM16LE helpers for the per-frame media path. Typed-array views are used wherever the
// memory layout allows, so a 20 ms frame costs no copy on the way in or out.
import { endianness } from 'node:os';

// Int16Array reads host byte order; every platform Node ships on for servers is little-endian,
// so a view over the wire bytes is the PCM16LE sample sequence. Refuse to run otherwise rather
// than produce noise.
if (endianness() !== 'LE') throw new Error('PCM16LE helpers require a little-endian host');

/** Lowest value dbfs() returns (digital silence), so the result is always a finite number. */
export const DBFS_FLOOR = -120;

/**
 * Int16 view of PCM16LE bytes. Shares memory with `bytes` when its byteOffset is even (the usual
 * case: Buffers from ws/fs are pool slices at even offsets); copies only when it is odd, because
 * an Int16Array cannot start at an odd offset.
 */
export function asInt16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new RangeError(`PCM16 data must have an even byte length, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }
  const copy = new Int16Array(bytes.byteLength / 2);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** Buffer over the same memory as `samples` (no copy), e.g. to send a frame on a socket. */
export function asBuffer(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Float samples in [-1, 1) to int16, rounding and clipping out-of-range values. */
export function floatToInt16(src: Float32Array | Float64Array, out = new Int16Array(src.length)): Int16Array {
  checkOut(out.length, src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Math.round(src[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out.length === src.length ? out : out.subarray(0, src.length);
}

/** Int16 samples to floats in [-1, 1) (divides by 32768, the exact inverse of floatToInt16). */
export function int16ToFloat(src: Int16Array, out = new Float32Array(src.length)): Float32Array {
  checkOut(out.length, src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] / 32768;
  return out.length === src.length ? out : out.subarray(0, src.length);
}

/** Root-mean-square level relative to full scale (0 for silence, 1 for a full-scale square wave). */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length) / 32768;
}

/**
 * RMS level in dBFS (full-scale square wave = 0 dBFS, so a full-scale sine reads about -3 dBFS),
 * floored at DBFS_FLOOR for silence.
 */
export function dbfs(samples: Int16Array): number {
  const r = rms(samples);
  return r > 0 ? Math.max(DBFS_FLOOR, 20 * Math.log10(r)) : DBFS_FLOOR;
}

/** Multiplies by a linear gain with rounding and clipping; `out` may be `samples` itself. */
export function applyGain(samples: Int16Array, gain: number, out = new Int16Array(samples.length)): Int16Array {
  checkOut(out.length, samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i] * gain);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out.length === samples.length ? out : out.subarray(0, samples.length);
}

/** Sample-wise sum with clipping; `out` may be `a` or `b`. Both inputs must be the same length. */
export function mix(a: Int16Array, b: Int16Array, out = new Int16Array(a.length)): Int16Array {
  if (a.length !== b.length) throw new RangeError(`mix: lengths differ (${a.length} vs ${b.length})`);
  checkOut(out.length, a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i] + b[i];
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out.length === a.length ? out : out.subarray(0, a.length);
}

/** Playing time of `bytes` of mono PCM16 at `sampleRate`, in milliseconds. */
export function durationMs(bytes: number, sampleRate: number): number {
  return (bytes / 2 / sampleRate) * 1000;
}

/** Bytes of mono PCM16 holding `ms` milliseconds at `sampleRate` (whole samples, so always even). */
export function bytesFor(ms: number, sampleRate: number): number {
  return Math.round((ms * sampleRate) / 1000) * 2;
}

function checkOut(outLength: number, needed: number): void {
  if (outLength < needed) throw new RangeError(`output buffer too small: ${outLength} < ${needed}`);
}
