// A streamed body that may or may not start with a RIFF/WAVE header: some services wrap "raw" PCM in one (with
// unknown lengths while streaming). The header is read across chunk boundaries and dropped; the rate in its `fmt `
// chunk is reported, since it is the audio's real rate whatever was asked for.

/** Longest header waited for before the body is taken as raw PCM (a real one is 44 bytes, a few hundred with LIST). */
const MAX_HEADER_BYTES = 4096;

export class WavHeaderStripper {
  #head: Uint8Array | null = new Uint8Array(0);
  /** The `fmt ` chunk's sample rate, once a header was read. */
  rate: number | undefined;

  /** The PCM bytes in `chunk`; empty while a header is still being read. */
  push(chunk: Uint8Array): Uint8Array {
    if (this.#head === null) return chunk;
    const bytes = new Uint8Array(this.#head.length + chunk.length);
    bytes.set(this.#head);
    bytes.set(chunk, this.#head.length);
    const start = this.#dataStart(bytes);
    if (start === 'wait') {
      this.#head = bytes;
      return new Uint8Array(0);
    }
    this.#head = null;
    return bytes.subarray(start);
  }

  /** Where the PCM starts, or 'wait' for more bytes. */
  #dataStart(b: Uint8Array): number | 'wait' {
    const tag = (at: number) => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
    const u32 = (at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
    if (b.length < 12) return b.length >= 4 && tag(0) !== 'RIFF' ? 0 : 'wait';
    if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return 0;
    for (let at = 12; ; ) {
      if (at + 8 > b.length) return b.length > MAX_HEADER_BYTES ? 0 : 'wait';
      const id = tag(at);
      const size = u32(at + 4);
      if (id === 'data') return at + 8;
      if (id === 'fmt ' && at + 16 <= b.length) this.rate = u32(at + 12) || undefined;
      // Chunks are padded to an even length.
      at += 8 + size + (size & 1);
      if (at > MAX_HEADER_BYTES) return 0;
    }
  }
}
