/** Append-only PCM16 buffer that grows by doubling, so per-tick appends do not allocate. */
export class PcmRecorder {
  private buffer: Int16Array;
  private length = 0;

  constructor(initialSamples = 8000 * 10) {
    this.buffer = new Int16Array(initialSamples);
  }

  append(frame: Int16Array): void {
    if (this.length + frame.length > this.buffer.length) {
      const grown = new Int16Array(Math.max(this.buffer.length * 2, this.length + frame.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(frame, this.length);
    this.length += frame.length;
  }

  /** Copy of everything recorded so far. */
  samples(): Int16Array {
    return this.buffer.slice(0, this.length);
  }
}
