// RIFF/WAVE PCM16 mono reader for the engines' output files (plain JS: used inside workers).

/** Returns `{ samples: Int16Array, sampleRate }` (samples on a fresh, transferable buffer). */
export function readWavPcm16(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('engine output is not a WAVE file');
  let sampleRate = 0;
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const id = tag(at);
    // Engines that stream their output leave chunk sizes unpatched; trust the file length instead.
    let size = view.getUint32(at + 4, true);
    if (size === 0 || at + 8 + size > bytes.byteLength) size = bytes.byteLength - at - 8;
    if (id === 'fmt ') {
      const format = view.getUint16(at + 8, true);
      const channels = view.getUint16(at + 10, true);
      const bits = view.getUint16(at + 22, true);
      if (format !== 1 || channels !== 1 || bits !== 16) throw new Error(`unsupported WAVE format ${format}/${channels}ch/${bits}bit`);
      sampleRate = view.getUint32(at + 12, true);
    } else if (id === 'data') {
      if (!sampleRate) throw new Error('WAVE data before fmt');
      const samples = new Int16Array(size >> 1);
      new Uint8Array(samples.buffer).set(bytes.subarray(at + 8, at + 8 + (size & ~1)));
      return { samples, sampleRate };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error('WAVE file has no data chunk');
}
