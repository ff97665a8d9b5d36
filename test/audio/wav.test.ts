import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWav, writeWav, WavError } from '../../src/audio/wav.js';
import { alawEncode, ulawEncode } from '../../src/audio/g711.js';

interface FmtFields {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  blockAlign?: number;
  subFormat?: number; // makes a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk
}

function chunk(id: string, body: Buffer, declaredSize = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'ascii');
  head.writeUInt32LE(declaredSize, 4);
  const pad = body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([head, body, pad]);
}

function fmtChunk(f: FmtFields): Buffer {
  const body = Buffer.alloc(f.subFormat === undefined ? 16 : 40);
  const blockAlign = f.blockAlign ?? (f.channels * f.bits) / 8;
  body.writeUInt16LE(f.tag, 0);
  body.writeUInt16LE(f.channels, 2);
  body.writeUInt32LE(f.rate, 4);
  body.writeUInt32LE(f.rate * blockAlign, 8);
  body.writeUInt16LE(blockAlign, 12);
  body.writeUInt16LE(f.bits, 14);
  if (f.subFormat !== undefined) {
    body.writeUInt16LE(22, 16); // cbSize
    body.writeUInt16LE(f.bits, 18); // valid bits
    body.writeUInt32LE(f.channels === 2 ? 3 : 4, 20); // channel mask
    body.writeUInt16LE(f.subFormat, 24); // first two bytes of the sub-format GUID
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(body, 26);
  }
  return chunk('fmt ', body);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'ascii'), ...chunks]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'ascii');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function int16Bytes(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

test('16-bit PCM mono at any rate', () => {
  const wav = riff(fmtChunk({ tag: 1, channels: 1, rate: 22050, bits: 16 }), chunk('data', int16Bytes([0, 1, -1, 32767, -32768])));
  const { sampleRate, samples } = readWav(wav);
  assert.equal(sampleRate, 22050);
  assert.deepEqual(Array.from(samples), [0, 1, -1, 32767, -32768]);
});

test('16-bit PCM stereo is averaged to mono', () => {
  const wav = riff(fmtChunk({ tag: 1, channels: 2, rate: 44100, bits: 16 }), chunk('data', int16Bytes([100, 300, -32768, -32768, 32767, -32768, 1, 2])));
  const { sampleRate, samples } = readWav(wav);
  assert.equal(sampleRate, 44100);
  // (1 + 2) / 2 = 1.5 rounds to 2; (32767 - 32768) / 2 = -0.5 rounds to -0 = 0
  assert.deepEqual(Array.from(samples), [200, -32768, 0, 2]);
});

test('8-bit unsigned PCM', () => {
  const wav = riff(fmtChunk({ tag: 1, channels: 1, rate: 8000, bits: 8 }), chunk('data', Buffer.from([128, 255, 0, 129])));
  assert.deepEqual(Array.from(readWav(wav).samples), [0, 127 * 256, -32768, 256]);
});

test('mu-law (tag 7) and A-law (tag 6) are decoded to linear', () => {
  const linear = [0, 1000, -1000, 30000, -30000];
  const mu = riff(fmtChunk({ tag: 7, channels: 1, rate: 8000, bits: 8 }), chunk('data', Buffer.from(linear.map(ulawEncode))));
  const a = riff(fmtChunk({ tag: 6, channels: 1, rate: 8000, bits: 8 }), chunk('data', Buffer.from(linear.map(alawEncode))));
  assert.deepEqual(Array.from(readWav(mu).samples), [0, 988, -988, 30076, -30076]);
  assert.deepEqual(Array.from(readWav(a).samples), [8, 1008, -1008, 30208, -30208]);
});

test('32-bit IEEE float, with clipping and NaN as silence', () => {
  const data = Buffer.alloc(6 * 4);
  [0, 0.5, -0.5, 1.5, -1, Number.NaN].forEach((v, i) => data.writeFloatLE(v, i * 4));
  const wav = riff(fmtChunk({ tag: 3, channels: 1, rate: 24000, bits: 32 }), chunk('data', data));
  const { sampleRate, samples } = readWav(wav);
  assert.equal(sampleRate, 24000);
  assert.deepEqual(Array.from(samples), [0, 16384, -16384, 32767, -32768, 0]);
});

test('WAVE_FORMAT_EXTENSIBLE uses the sub-format tag', () => {
  const wav = riff(
    fmtChunk({ tag: 0xfffe, channels: 2, rate: 48000, bits: 16, subFormat: 1 }),
    chunk('data', int16Bytes([10, 20, 30, 40])),
  );
  assert.deepEqual(Array.from(readWav(wav).samples), [15, 35]);
});

test('unknown chunks (odd-sized, padded) before and after fmt are skipped', () => {
  const wav = riff(
    chunk('JUNK', Buffer.alloc(3, 0xee)),
    fmtChunk({ tag: 1, channels: 1, rate: 16000, bits: 16 }),
    chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00test\x00', 'latin1')),
    chunk('data', int16Bytes([7, -7])),
  );
  assert.deepEqual(Array.from(readWav(wav).samples), [7, -7]);
});

test('streaming-style data size (0xFFFFFFFF) and truncated data read the whole frames present', () => {
  const fmt = fmtChunk({ tag: 1, channels: 2, rate: 8000, bits: 16 });
  const frames = int16Bytes([2, 4, 6, 8, 10, 12]);
  const streaming = riff(fmt, chunk('data', frames, 0xffffffff));
  assert.deepEqual(Array.from(readWav(streaming).samples), [3, 7, 11]);
  // Declares 6 frames, holds 2.5: the half frame is dropped.
  const truncated = riff(fmt, chunk('data', frames.subarray(0, 10), 24));
  assert.deepEqual(Array.from(readWav(truncated).samples), [3, 7]);
});

test('reads from a Uint8Array view at an odd offset', () => {
  const wav = riff(fmtChunk({ tag: 1, channels: 1, rate: 8000, bits: 16 }), chunk('data', int16Bytes([1234, -4321])));
  const shifted = new Uint8Array(wav.length + 1);
  shifted.set(wav, 1);
  assert.deepEqual(Array.from(readWav(shifted.subarray(1)).samples), [1234, -4321]);
});

test('malformed and unsupported files fail with a WavError saying why', () => {
  const fmt16 = fmtChunk({ tag: 1, channels: 1, rate: 8000, bits: 16 });
  const data = chunk('data', int16Bytes([1, 2]));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /not a RIFF\/WAVE/],
    ['not RIFF', Buffer.from('RIFX\x00\x00\x00\x00WAVE', 'latin1'), /not a RIFF\/WAVE/],
    ['not WAVE', Buffer.from('RIFF\x04\x00\x00\x00AVI ', 'latin1'), /not a RIFF\/WAVE/],
    ['no chunks', riff(), /no fmt chunk/],
    ['no data', riff(fmt16), /no data chunk/],
    ['data before fmt', riff(data, fmt16), /before the fmt/],
    ['short fmt', riff(chunk('fmt ', Buffer.alloc(14)), data), /fmt chunk too short/],
    ['truncated fmt', riff(chunk('fmt ', Buffer.alloc(16), 40)), /fmt chunk is truncated/],
    ['24-bit PCM', riff(fmtChunk({ tag: 1, channels: 1, rate: 8000, bits: 24 }), data), /format tag 1 with 24 bits/],
    ['ADPCM', riff(fmtChunk({ tag: 2, channels: 1, rate: 8000, bits: 4, blockAlign: 256 }), data), /format tag 2/],
    ['float64', riff(fmtChunk({ tag: 3, channels: 1, rate: 8000, bits: 64 }), data), /format tag 3 with 64 bits/],
    ['zero channels', riff(fmtChunk({ tag: 1, channels: 0, rate: 8000, bits: 16, blockAlign: 2 }), data), /0 channels/],
    ['zero rate', riff(fmtChunk({ tag: 1, channels: 1, rate: 0, bits: 16 }), data), /0 Hz/],
    ['bad block align', riff(fmtChunk({ tag: 1, channels: 2, rate: 8000, bits: 16, blockAlign: 2 }), data), /block align 2/],
    ['short extensible', riff(fmtChunk({ tag: 0xfffe, channels: 1, rate: 8000, bits: 16 }), data), /EXTENSIBLE/],
  ];
  for (const [name, file, message] of cases) {
    assert.throws(() => readWav(file), (err: unknown) => err instanceof WavError && message.test(err.message), name);
  }
});

test('writeWav produces a canonical PCM16 mono file that reads back identically', () => {
  const samples = new Int16Array([0, 1, -1, 32767, -32768, 12345]);
  const file = writeWav(samples, 16000);
  assert.equal(file.length, 44 + 12);
  assert.equal(file.toString('ascii', 0, 4), 'RIFF');
  assert.equal(file.readUInt32LE(4), 36 + 12);
  assert.equal(file.toString('ascii', 8, 16), 'WAVEfmt ');
  assert.equal(file.readUInt32LE(16), 16);
  assert.equal(file.readUInt16LE(20), 1);
  assert.equal(file.readUInt16LE(22), 1);
  assert.equal(file.readUInt32LE(24), 16000);
  assert.equal(file.readUInt32LE(28), 32000);
  assert.equal(file.readUInt16LE(32), 2);
  assert.equal(file.readUInt16LE(34), 16);
  assert.equal(file.toString('ascii', 36, 40), 'data');
  assert.equal(file.readUInt32LE(40), 12);
  const back = readWav(file);
  assert.equal(back.sampleRate, 16000);
  assert.deepEqual(Array.from(back.samples), Array.from(samples));
  assert.throws(() => writeWav(samples, 0), RangeError);
});
