// Streaming polyphase resampler for mono PCM16.
//
// The rate change is the reduced fraction L/M (L = to/gcd, M = from/gcd). Conceptually the input
// is zero-stuffed by L, low-pass filtered at L*from and decimated by M; the polyphase form only
// computes the outputs that are kept, each as one K-tap dot product with the filter phase that
// lines up with it.
//
// Filter: Kaiser-windowed sinc designed for 80 dB stopband attenuation (>= 70 dB required with
// margin for coefficient rounding), passband edge at 0.9 and stopband edge at 1.0 of the lower
// Nyquist frequency. Putting the stopband edge exactly at the lower Nyquist means nothing aliases
// into the output band when decimating and no image appears below the input Nyquist when
// interpolating. Each phase is normalised to unit DC gain so the phases do not disagree on DC,
// which would otherwise leave a faint tone at the input rate.
//
// The filter centre is placed on a whole number of output samples, so the group delay (the
// latency this stage adds) is an integer number of output samples, `delaySamples`. It scales with
// 1 / (lower Nyquist frequency):
//       from -> to    delay              taps per output (K)
//       8k -> 16k     101 samples 6.31 ms  104
//      16k -> 8k       51 samples 6.38 ms  208
//       8k -> 24k     151 samples 6.29 ms  104
//      24k -> 8k       51 samples 6.38 ms  308
//      16k -> 24k      76 samples 3.17 ms  104
//      24k -> 16k      51 samples 3.19 ms  156
//   22.05k -> 8k/16k/24k   6.38 / 3.19 / 2.29 ms
//    44.1k -> 8k/16k/24k   6.38 / 3.19 / 2.13 ms   (K = 564 / 284 / 188)
//      48k -> 8k/16k/24k   6.38 / 3.19 / 2.13 ms   (K = 616 / 308 / 208)
//
// Banks are computed once per (from, to) pair and shared by all instances; an instance owns only
// a 2*K-sample Float32 history ring (the doubled ring keeps each K-sample window contiguous, so
// the inner loop has no wrap-around test; Float32 rather than Int16 because V8 multiplies it
// faster) plus a few integers.

export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Group delay in output samples: output sample n + delaySamples lines up with input time n/toRate. */
  readonly delaySamples: number;
  /** Group delay in milliseconds. */
  readonly delayMs: number;
  /** Upper bound on what process() returns for `inputLength` samples, for sizing a reusable `out`. */
  maxOutputLength(inputLength: number): number;
  /**
   * Resamples the next chunk of the stream. History is kept between calls, so splitting a signal
   * into chunks of any sizes yields exactly the same samples as one call with the whole signal.
   * With `out` (length >= maxOutputLength) the result is a subarray of it and nothing is
   * allocated. When the rates are equal the input itself is returned.
   */
  process(input: Int16Array, out?: Int16Array): Int16Array;
  /**
   * Ends the stream: emits the `delaySamples` outputs that the filter delay still holds back
   * (computed with silence after the input) and resets. After flush the stream has produced
   * ceil(inputSamples * toRate / fromRate) + delaySamples samples, so dropping the first
   * delaySamples leaves exactly the input's duration. `out`, if given, needs delaySamples room.
   */
  flush(out?: Int16Array): Int16Array;
  /** Forgets history (use after a real gap in the audio), as if newly created. */
  reset(): void;
}

export interface FilterBank {
  /** Interpolation factor. */
  readonly L: number;
  /** Decimation factor. */
  readonly M: number;
  /** Taps per phase (= history length). */
  readonly K: number;
  /** L phases of K taps; phase p occupies [p*K, p*K + K), stored time-reversed so it runs oldest-to-newest. */
  readonly coefs: Float32Array;
  readonly delaySamples: number;
}

const STOPBAND_DB = 80;
const PASSBAND_EDGE = 0.9; // of the lower Nyquist frequency
const MAX_BANK_TAPS = 1 << 22; // 16 MiB of coefficients: beyond this the rate pair is unreasonable
const EMPTY = new Int16Array(0);

const banks = new Map<string, FilterBank>();

/** Creates a resampler from `fromRate` to `toRate` Hz (positive integers). */
export function createResampler(fromRate: number, toRate: number): Resampler {
  checkRate(fromRate);
  checkRate(toRate);
  if (fromRate === toRate) return new IdentityResampler(fromRate);
  return new PolyphaseResampler(fromRate, toRate, filterBank(fromRate, toRate));
}

/** The shared filter bank for a rate pair, designed on first use. */
export function filterBank(fromRate: number, toRate: number): FilterBank {
  const key = `${fromRate}:${toRate}`;
  let bank = banks.get(key);
  if (!bank) {
    bank = designBank(fromRate, toRate);
    banks.set(key, bank);
  }
  return bank;
}

class IdentityResampler implements Resampler {
  readonly delaySamples = 0;
  readonly delayMs = 0;
  constructor(
    readonly fromRate: number,
    readonly toRate = fromRate,
  ) {}
  maxOutputLength(inputLength: number): number {
    return inputLength;
  }
  process(input: Int16Array): Int16Array {
    return input;
  }
  flush(): Int16Array {
    return EMPTY;
  }
  reset(): void {}
}

class PolyphaseResampler implements Resampler {
  readonly delaySamples: number;
  readonly delayMs: number;
  private readonly ring: Float32Array;
  /** Ring slot the next input sample is written to (0..K-1). */
  private pos = 0;
  /** Index, relative to the next input chunk, of the newest input sample the next output needs. */
  private need = 0;
  /** Filter phase of the next output (0..L-1). */
  private phase = 0;
  private started = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    private readonly bank: FilterBank,
  ) {
    this.delaySamples = bank.delaySamples;
    this.delayMs = (bank.delaySamples / toRate) * 1000;
    this.ring = new Float32Array(2 * bank.K);
  }

  maxOutputLength(inputLength: number): number {
    return Math.floor((inputLength * this.bank.L) / this.bank.M) + 1;
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const n = input.length;
    if (n === 0) return EMPTY;
    this.started = true;
    const count = this.outputsFor(n);
    return this.run(input, count, this.target(out, count));
  }

  flush(out?: Int16Array): Int16Array {
    if (!this.started) return EMPTY;
    const { L, M } = this.bank;
    // Feed just enough silence for the delaySamples outputs that still depend on real input.
    const lastNeeded = Math.floor((this.need * L + this.phase + (this.delaySamples - 1) * M) / L);
    const tail = this.run(new Int16Array(lastNeeded + 1), this.delaySamples, this.target(out, this.delaySamples));
    this.reset();
    return tail;
  }

  reset(): void {
    this.ring.fill(0);
    this.pos = 0;
    this.need = 0;
    this.phase = 0;
    this.started = false;
  }

  /** Number of outputs whose newest input sample is among the next n input samples. */
  private outputsFor(n: number): number {
    const { L, M } = this.bank;
    const u = this.need * L + this.phase;
    const last = n * L - 1;
    return u <= last ? Math.floor((last - u) / M) + 1 : 0;
  }

  private target(out: Int16Array | undefined, count: number): Int16Array {
    if (!out) return new Int16Array(count);
    if (out.length < count) throw new RangeError(`output buffer too small: ${out.length} < ${count}`);
    return out.length === count ? out : out.subarray(0, count);
  }

  /** Pushes input through the ring, writing up to `count` outputs; returns `out`. */
  private run(input: Int16Array, count: number, out: Int16Array): Int16Array {
    const { coefs, K, L, M } = this.bank;
    const ring = this.ring;
    const stepWhole = Math.floor(M / L);
    const stepFrac = M % L;
    let pos = this.pos;
    let need = this.need;
    let phase = this.phase;
    let o = 0;
    for (let j = 0; j < input.length; j++) {
      const s = input[j];
      ring[pos] = s;
      ring[pos + K] = s;
      pos = pos + 1 === K ? 0 : pos + 1;
      // After the write, ring[pos .. pos+K) is the latest K samples, oldest first.
      while (need === j && o < count) {
        const acc = dot(coefs, phase * K, ring, pos, K);
        const v = Math.round(acc);
        out[o++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        need += stepWhole;
        phase += stepFrac;
        if (phase >= L) {
          phase -= L;
          need++;
        }
      }
    }
    this.pos = pos;
    this.need = need - input.length;
    this.phase = phase;
    return out;
  }
}

/**
 * sum(coefs[c + m] * ring[r + m]) for m < K (K is a multiple of 4). Four independent
 * accumulators let the CPU overlap the multiply-adds (about 1.3x faster than one running sum in
 * V8); the summation order is fixed, so results do not depend on how the stream was chunked.
 */
function dot(coefs: Float32Array, c: number, ring: Float32Array, r: number, K: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  for (let m = 0; m < K; m += 4) {
    a0 += coefs[c + m] * ring[r + m];
    a1 += coefs[c + m + 1] * ring[r + m + 1];
    a2 += coefs[c + m + 2] * ring[r + m + 2];
    a3 += coefs[c + m + 3] * ring[r + m + 3];
  }
  return a0 + a1 + (a2 + a3);
}

function designBank(fromRate: number, toRate: number): FilterBank {
  const g = gcd(fromRate, toRate);
  const L = toRate / g;
  const M = fromRate / g;
  const protoRate = L * fromRate;
  const nyquist = Math.min(fromRate, toRate) / 2;
  const passEdge = PASSBAND_EDGE * nyquist;
  const cutoff = (passEdge + nyquist) / 2;
  const transition = (2 * Math.PI * (nyquist - passEdge)) / protoRate; // rad/sample at protoRate
  // Kaiser's estimates for the order and the window shape.
  const order = Math.ceil((STOPBAND_DB - 7.95) / (2.285 * transition));
  const beta = 0.1102 * (STOPBAND_DB - 8.7);
  // Centre on a whole number of output samples (multiples of M at protoRate).
  const delaySamples = Math.ceil(order / 2 / M);
  const centre = delaySamples * M;
  const length = 2 * centre + 1;
  // Rounded up to a multiple of 4 for dot()'s unrolling; the extra taps are zeros at the oldest end.
  const K = 4 * Math.ceil(length / L / 4);
  if (K * L > MAX_BANK_TAPS) {
    throw new RangeError(`resampling ${fromRate} -> ${toRate} Hz needs a ${K * L}-tap filter bank; rates too incommensurate`);
  }
  const proto = new Float64Array(K * L); // taps past `length` stay 0
  const fc = (2 * cutoff) / protoRate; // normalised so sinc's first zero is at 1/fc samples
  const i0Beta = besselI0(beta);
  for (let k = 0; k < length; k++) {
    const t = k - centre;
    const x = t / centre;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - x * x))) / i0Beta;
    proto[k] = window * (t === 0 ? fc : Math.sin(Math.PI * fc * t) / (Math.PI * t));
  }
  const coefs = new Float32Array(K * L);
  for (let p = 0; p < L; p++) {
    let sum = 0;
    for (let m = 0; m < K; m++) sum += proto[p + L * m];
    // coefs[p*K + j] multiplies the j-th oldest of the K window samples, i.e. x[i - (K-1-j)].
    for (let m = 0; m < K; m++) coefs[p * K + (K - 1 - m)] = proto[p + L * m] / sum;
  }
  return { L, M, K, coefs, delaySamples };
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= (half / k) * (half / k);
    sum += term;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkRate(rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
}
