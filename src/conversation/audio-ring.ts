// The last few seconds of caller audio, addressed by stream time, so the audio of a caller turn
// can be cut out when the turn ends (a turn may span several VAD segments and pauses).
// One buffer per call, allocated once.

export class AudioRing {
  readonly sampleRate: number;
  readonly #buf: Int16Array;
  /** Samples written since the stream began. */
  #written = 0;

  constructor(sampleRate: number, capacityMs: number) {
    this.sampleRate = sampleRate;
    this.#buf = new Int16Array(Math.ceil((capacityMs * sampleRate) / 1000));
  }

  /** Stream time at the end of what was written, ms. */
  get endMs(): number {
    return (this.#written * 1000) / this.sampleRate;
  }

  write(pcm: Int16Array): void {
    const buf = this.#buf;
    const cap = buf.length;
    let src = pcm;
    if (src.length > cap) src = src.subarray(src.length - cap);
    const at = (this.#written + (pcm.length - src.length)) % cap;
    const first = Math.min(src.length, cap - at);
    buf.set(src.subarray(0, first), at);
    if (first < src.length) buf.set(src.subarray(first), 0);
    this.#written += pcm.length;
  }

  /** A copy of the audio between two stream times (clamped to what the ring still holds). */
  slice(fromMs: number, toMs: number): Int16Array {
    const cap = this.#buf.length;
    const end = Math.min(this.#written, Math.round((toMs * this.sampleRate) / 1000));
    const start = Math.max(0, this.#written - cap, Math.round((fromMs * this.sampleRate) / 1000));
    if (end <= start) return new Int16Array(0);
    const out = new Int16Array(end - start);
    const a = start % cap;
    const first = Math.min(out.length, cap - a);
    out.set(this.#buf.subarray(a, a + first));
    if (first < out.length) out.set(this.#buf.subarray(0, out.length - first), first);
    return out;
  }
}
