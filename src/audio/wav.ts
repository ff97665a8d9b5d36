// WAV (RIFF/WAVE) reading into mono PCM16 and writing of mono PCM16 files. Reads what prompt
// recordings and TTS tools actually produce: 8-bit unsigned and 16-bit PCM, G.711 mu-law/A-law,
// 32-bit IEEE float, in any channel count (downmixed by averaging) and any sample rate.
import { alawDecode, ulawDecode } from './g711.js';

export class WavError extends Error {
  override name = 'WavError';
}

export interface DecodedWav {
  sampleRate: number;
  /** Mono samples (multi-channel input is averaged). */
  samples: Int16Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

interface Format {
  tag: number;
  channels: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/** Parses a WAV file. Throws WavError saying what is wrong for anything it cannot decode. */
export function readWav(file: Uint8Array): DecodedWav {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file.byteLength < 12 || ascii(file, 0) !== 'RIFF' || ascii(file, 8) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let format: Format | undefined;
  let offset = 12;
  while (offset + 8 <= file.byteLength) {
    const id = ascii(file, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (body + size > file.byteLength) throw new WavError('fmt chunk is truncated');
      format = parseFormat(view, body, size);
    } else if (id === 'data') {
      if (!format) throw new WavError('data chunk comes before the fmt chunk');
      // Streaming writers leave the size as 0 or 0xFFFFFFFF, and interrupted recordings are
      // shorter than declared: take the whole frames that are actually present.
      const available = file.byteLength - body;
      const declared = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      const frames = Math.floor(declared / format.blockAlign);
      return { sampleRate: format.sampleRate, samples: decodeFrames(view, body, frames, format) };
    }
    offset = body + size + (size & 1); // chunks are padded to even length
  }
  throw new WavError(format ? 'no data chunk' : 'no fmt chunk');
}

/** Builds a canonical 44-byte-header WAV file holding mono PCM16 `samples`. */
export function writeWav(samples: Int16Array, sampleRate: number): Buffer {
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new RangeError(`invalid sample rate ${sampleRate}`);
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(1, 22); // channels
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], 44 + i * 2);
  return out;
}

function parseFormat(view: DataView, at: number, size: number): Format {
  if (size < 16) throw new WavError(`fmt chunk too short (${size} bytes)`);
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    // WAVE_FORMAT_EXTENSIBLE: the real format tag is the first two bytes of the sub-format GUID.
    if (size < 40) throw new WavError('WAVE_FORMAT_EXTENSIBLE fmt chunk too short');
    tag = view.getUint16(at + 24, true);
  }
  if (channels === 0) throw new WavError('fmt chunk declares 0 channels');
  if (sampleRate === 0) throw new WavError('fmt chunk declares a 0 Hz sample rate');
  const supported =
    (tag === FORMAT_PCM && (bitsPerSample === 8 || bitsPerSample === 16)) ||
    (tag === FORMAT_FLOAT && bitsPerSample === 32) ||
    ((tag === FORMAT_MULAW || tag === FORMAT_ALAW) && bitsPerSample === 8);
  if (!supported) {
    throw new WavError(
      `unsupported WAV encoding: format tag ${tag} with ${bitsPerSample} bits per sample ` +
        '(supported: PCM 8/16-bit, IEEE float 32-bit, mu-law, A-law)',
    );
  }
  if (blockAlign !== channels * (bitsPerSample / 8)) {
    throw new WavError(`block align ${blockAlign} does not match ${channels} channels of ${bitsPerSample} bits`);
  }
  return { tag, channels, sampleRate, blockAlign, bitsPerSample };
}

function decodeFrames(view: DataView, at: number, frames: number, f: Format): Int16Array {
  const out = new Int16Array(frames);
  const bytesPerSample = f.bitsPerSample / 8;
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < f.channels; c++) {
      sum += readSample(view, at + i * f.blockAlign + c * bytesPerSample, f.tag, f.bitsPerSample);
    }
    const v = Math.round(sum / f.channels);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** One sample as a 16-bit-scale number (float input may exceed the range; clipped by the caller). */
function readSample(view: DataView, at: number, tag: number, bits: number): number {
  switch (tag) {
    case FORMAT_PCM:
      return bits === 16 ? view.getInt16(at, true) : (view.getUint8(at) - 128) * 256;
    case FORMAT_FLOAT: {
      const x = view.getFloat32(at, true);
      return Number.isFinite(x) ? x * 32768 : 0;
    }
    case FORMAT_MULAW:
      return ulawDecode(view.getUint8(at));
    default:
      return alawDecode(view.getUint8(at));
  }
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/** The canonical 44-byte header of a PCM16 WAV file (`dataBytes` 0xFFFFFFFF: still being written). */
export function pcm16WavHeader(channels: number, sampleRate: number, dataBytes: number): Buffer {
  const out = Buffer.alloc(44);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(dataBytes === 0xffffffff ? 0xffffffff : 36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}
