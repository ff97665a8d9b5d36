// The last few seconds of caller audio, addressed by stream time, so the audio of a caller turn
// can be cut out when the turn ends (a turn may span several VAD segments and pauses).
// One buffer per call, allocated once, and handed to the next call when this one ends: a ring is 0.5-1 MB, and
// freeing and allocating one per call fragments the allocator's heap (glibc raises its mmap threshold after the
// first such free, so later rings come from the heap, whose holes are not returned): RSS crept up over a soak
// while the JS heap stayed flat.

/** Released buffers by length, kept up to this many bytes in all (a few hundred calls' worth). */
const SPARE_LIMIT_BYTES = 256 * 1024 * 1024;
const spare = new Map<number, Int16Array[]>();
let spareBytes = 0;

function takeBuffer(length: number): Int16Array {
  const list = spare.get(length);
  const buf = list?.pop();
  if (!buf) return new Int16Array(length);
  spareBytes -= buf.byteLength;
  // Never zeroed: a ring reads only what its own call wrote (`#written` bounds every slice).
  return buf;
}

function giveBack(buf: Int16Array): void {
  if (buf.length === 0 || spareBytes + buf.byteLength > SPARE_LIMIT_BYTES) return;
  let list = spare.get(buf.length);
  if (!list) spare.set(buf.length, (list = []));
  list.push(buf);
  spareBytes += buf.byteLength;
}

/** Bytes of ring buffers waiting for the next calls (for tests and metrics). */
export function spareRingBytes(): number {
  return spareBytes;
}

const EMPTY = new Int16Array(0);

export class AudioRing {
  readonly sampleRate: number;
  #buf: Int16Array;
  /** Samples written since the stream began. */
  #written = 0;

  constructor(sampleRate: number, capacityMs: number) {
    this.sampleRate = sampleRate;
    this.#buf = takeBuffer(Math.ceil((capacityMs * sampleRate) / 1000));
  }

  /**
   * The call is over: its buffer goes to the next call. Afterwards the ring holds nothing (a late slice is empty,
   * a late write is dropped), so one call can never read another's audio.
   */
  release(): void {
    const buf = this.#buf;
    this.#buf = EMPTY;
    giveBack(buf);
  }

  /** Stream time at the end of what was written, ms. */
  get endMs(): number {
    return (this.#written * 1000) / this.sampleRate;
  }

  write(pcm: Int16Array): void {
    const buf = this.#buf;
    const cap = buf.length;
    if (cap === 0) return;
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
    if (cap === 0) return new Int16Array(0);
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
