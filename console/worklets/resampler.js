// A streaming band-limited resampler (Hann-windowed sinc, cut-off just under the lower Nyquist), for the audio
// worklets: the microphone down to the call's rate, the call's audio up to the audio device's rate.

export class Resampler {
  /** `halfTaps`: kernel half-width in samples of the lower rate (quality against cost). */
  constructor(fromRate, toRate, halfTaps = 16) {
    this.step = fromRate / toRate; // input samples per output sample
    const ratio = Math.min(1, toRate / fromRate);
    this.cutoff = 0.45 * ratio; // cycles per input sample
    this.width = Math.ceil(halfTaps / ratio); // input samples each side
    this.reset();
  }

  reset() {
    // Starts with a window of silence, so the first output sample has its past.
    this.buf = new Float32Array(this.width);
    this.len = this.width;
    this.pos = this.width; // input position of the next output sample, in `buf` coordinates
  }

  /** Resamples `input` (Float32, -1..1) and returns what is ready; the rest waits for the next call. */
  push(input) {
    this.#append(input);
    const out = [];
    const w = this.width;
    const fc = this.cutoff;
    while (Math.floor(this.pos) + w < this.len) {
      const centre = Math.floor(this.pos);
      const frac = this.pos - centre;
      let acc = 0;
      let norm = 0;
      for (let k = -w + 1; k <= w; k++) {
        const x = k - frac;
        const arg = 2 * fc * x;
        const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
        const tap = sinc * (0.5 + 0.5 * Math.cos((Math.PI * x) / w));
        acc += this.buf[centre + k] * tap;
        norm += tap;
      }
      out.push(norm > 0 ? acc / norm : 0);
      this.pos += this.step;
    }
    // Keep only the history the next output samples need.
    const keepFrom = Math.max(0, Math.floor(this.pos) - w);
    this.buf.copyWithin(0, keepFrom, this.len);
    this.len -= keepFrom;
    this.pos -= keepFrom;
    return Float32Array.from(out);
  }

  #append(input) {
    if (this.len + input.length > this.buf.length) {
      const grown = new Float32Array(Math.max(this.buf.length * 2, this.len + input.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(input, this.len);
    this.len += input.length;
  }
}
