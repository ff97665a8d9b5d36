// Whole-buffer rate conversion for provider input/output (TTS output to the call rate, call audio
// down to the recognizer's 8 kHz).
//
// TODO(resampler): this is a private stand-in until src/audio/resampler.ts (the shared streaming
// polyphase resampler, `createResampler(from, to)`) lands; then `resample` becomes
// process() + flush() on a fresh resampler and the filter code below goes away.
//
// Polyphase windowed-sinc: for from→to reduced by their gcd to L/M, output sample n sits at input
// position n·M/L, whose fractional part takes only L values, so L tap sets are computed once per
// rate pair and reused. The low-pass cuts at 0.9 × the lower Nyquist with a Blackman window over
// 16 zero crossings: ~-70 dB images, ample for telephone speech.

const ZERO_CROSSINGS = 8; // each side
const CUTOFF = 0.9;

interface Filter {
  up: number; // L
  down: number; // M
  half: number; // taps each side of the centre, in input samples
  taps: Float32Array[]; // per phase, 2·half+1 taps
}

const filters = new Map<string, Filter>();

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function filterFor(fromRate: number, toRate: number): Filter {
  const key = `${fromRate}:${toRate}`;
  const cached = filters.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  // Cutoff as a fraction of the input Nyquist: below the output Nyquist when decimating.
  const fc = CUTOFF * Math.min(1, toRate / fromRate);
  const half = Math.ceil(ZERO_CROSSINGS / fc);
  const taps: Float32Array[] = [];
  for (let phase = 0; phase < up; phase++) {
    const frac = phase / up; // output position minus the input sample at the window's centre
    const t = new Float32Array(2 * half + 1);
    let sum = 0;
    for (let k = -half; k <= half; k++) {
      const x = k - frac;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * fc * x) / (Math.PI * fc * x);
      const w = Math.abs(x) >= half + 1 ? 0 : 0.42 + 0.5 * Math.cos((Math.PI * x) / (half + 1)) + 0.08 * Math.cos((2 * Math.PI * x) / (half + 1));
      t[k + half] = sinc * w;
      sum += sinc * w;
    }
    for (let i = 0; i < t.length; i++) t[i] /= sum; // unity gain at DC for every phase
    taps.push(t);
  }
  const filter = { up, down, half, taps };
  filters.set(key, filter);
  return filter;
}

/** Converts a whole buffer of PCM16 from one rate to another (a copy, even when the rates match). */
export function resample(input: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new RangeError(`invalid sample rates ${fromRate} → ${toRate}`);
  }
  if (fromRate === toRate) return input.slice();
  const { up, down, half, taps } = filterFor(fromRate, toRate);
  const outLength = Math.floor((input.length * up) / down);
  const out = new Int16Array(outLength);
  const last = input.length - 1;
  for (let n = 0; n < outLength; n++) {
    const pos = n * down; // in units of 1/up input samples
    const centre = Math.floor(pos / up);
    const t = taps[pos - centre * up]!;
    let acc = 0;
    const start = centre - half;
    if (start >= 0 && centre + half <= last) {
      for (let k = 0; k < t.length; k++) acc += input[start + k]! * t[k]!;
    } else {
      for (let k = 0; k < t.length; k++) {
        const i = start + k;
        if (i >= 0 && i <= last) acc += input[i]! * t[k]!;
      }
    }
    out[n] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}
