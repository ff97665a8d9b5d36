// A bounded FIFO of PCM16 samples: the audio a stream keeps while its socket (re)connects. Full, it drops the
// oldest samples and counts them.

export class SampleRing {
  readonly #ring: Int16Array;
  #start = 0;
  #length = 0;

  constructor(capacity: number) {
    this.#ring = new Int16Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.#length;
  }

  /** Appends `audio`; returns how many samples (old or new) were dropped to make it fit. */
  push(audio: Int16Array): number {
    const ring = this.#ring;
    const capacity = ring.length;
    if (audio.length >= capacity) {
      const dropped = this.#length + audio.length - capacity;
      ring.set(audio.subarray(audio.length - capacity));
      this.#start = 0;
      this.#length = capacity;
      return dropped;
    }
    const overflow = Math.max(0, this.#length + audio.length - capacity);
    if (overflow > 0) {
      this.#start = (this.#start + overflow) % capacity;
      this.#length -= overflow;
    }
    const end = (this.#start + this.#length) % capacity;
    const first = Math.min(audio.length, capacity - end);
    ring.set(audio.subarray(0, first), end);
    if (first < audio.length) ring.set(audio.subarray(first), 0);
    this.#length += audio.length;
    return overflow;
  }

  /** Empties the ring, oldest first, as at most two views (valid until the next push). */
  drain(): Int16Array[] {
    const capacity = this.#ring.length;
    const head = this.#ring.subarray(this.#start, Math.min(capacity, this.#start + this.#length));
    const tail = this.#ring.subarray(0, this.#length - head.length);
    this.#start = 0;
    this.#length = 0;
    return [head, tail].filter((p) => p.length > 0);
  }
}
