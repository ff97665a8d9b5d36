import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alawDecode,
  alawEncode,
  alawToPcm16,
  pcm16ToAlaw,
  pcm16ToUlaw,
  ulawDecode,
  ulawEncode,
  ulawToPcm16,
} from '../../src/audio/g711.js';

// Reconstruction levels written straight from the G.711 tables (sign, 3-bit segment, 4-bit step),
// scaled to 16 bits, independently of how the module computes them.
function ulawLevel(code: number): number {
  const inv = ~code & 0xff;
  const segment = (inv >> 4) & 7;
  const step = inv & 15;
  const magnitude = (((2 * step + 33) << segment) - 33) * 4;
  return inv & 0x80 ? 0 - magnitude : magnitude; // 0 - 0 is +0, as the decoder returns
}
function alawLevel(code: number): number {
  const x = code ^ 0x55;
  const segment = (x >> 4) & 7;
  const step = x & 15;
  const magnitude = segment === 0 ? (step << 4) + 8 : ((step << 4) + 0x108) << (segment - 1);
  return x & 0x80 ? magnitude : -magnitude;
}

test('mu-law known values (ITU-T G.711 / G.191)', () => {
  assert.equal(ulawDecode(0xff), 0);
  assert.equal(ulawDecode(0x7f), 0);
  assert.equal(ulawDecode(0x00), -32124);
  assert.equal(ulawDecode(0x80), 32124);
  assert.equal(ulawEncode(0), 0xff);
  assert.equal(ulawEncode(-1), 0x7f); // one's complement keeps tiny negatives at zero
  assert.equal(ulawEncode(32767), 0x80);
  assert.equal(ulawEncode(-32768), 0x00);
  assert.equal(ulawEncode(32124), 0x80);
  assert.equal(ulawEncode(-32124), 0x00);
});

test('A-law known values (ITU-T G.711 / G.191)', () => {
  assert.equal(alawDecode(0xd5), 8);
  assert.equal(alawDecode(0x55), -8);
  assert.equal(alawDecode(0xaa), 32256);
  assert.equal(alawDecode(0x2a), -32256);
  assert.equal(alawEncode(0), 0xd5);
  assert.equal(alawEncode(-1), 0x55);
  assert.equal(alawEncode(32767), 0xaa);
  assert.equal(alawEncode(-32768), 0x2a);
});

test('decode tables match the G.711 level formulas for all 256 codes', () => {
  for (let c = 0; c < 256; c++) {
    assert.equal(ulawDecode(c), ulawLevel(c), `mu-law 0x${c.toString(16)}`);
    assert.equal(alawDecode(c), alawLevel(c), `A-law 0x${c.toString(16)}`);
  }
});

test('encoding every 16-bit sample lands in the right quantisation interval', () => {
  let prevU = -Infinity;
  let prevA = -Infinity;
  for (let x = -32768; x <= 32767; x++) {
    const u = ulawDecode(ulawEncode(x));
    const a = alawDecode(alawEncode(x));
    // Monotonic: a larger input never decodes lower.
    assert.ok(u >= prevU, `mu-law not monotonic at ${x}`);
    assert.ok(a >= prevA, `A-law not monotonic at ${x}`);
    prevU = u;
    prevA = a;
    // Error within half a step of the segment, plus what the 14/13-bit input truncation drops,
    // except beyond the largest level where the encoder saturates.
    const ustep = 8 << Math.max(0, Math.min(7, Math.floor(Math.log2((Math.abs(x) + 132) / 128))));
    if (Math.abs(x) <= 32124) assert.ok(Math.abs(u - x) <= ustep / 2 + 4, `mu-law ${x} -> ${u}`);
    const astep = Math.abs(x) < 512 ? 16 : 16 << Math.floor(Math.log2(Math.abs(x) / 256));
    if (Math.abs(x) <= 32256) assert.ok(Math.abs(a - x) <= astep / 2 + 16, `A-law ${x} -> ${a}`);
  }
});

test('every reconstruction level re-encodes to itself', () => {
  for (let c = 0; c < 256; c++) {
    assert.equal(ulawDecode(ulawEncode(ulawDecode(c))), ulawDecode(c));
    assert.equal(alawDecode(alawEncode(alawDecode(c))), alawDecode(c));
  }
});

test('array codecs match the scalar ones and accept a caller buffer', () => {
  const pcm = new Int16Array(4000).map((_, i) => Math.round(20000 * Math.sin(i * 0.05) * Math.cos(i * 0.003)));
  const u = pcm16ToUlaw(pcm);
  const a = pcm16ToAlaw(pcm);
  for (let i = 0; i < pcm.length; i++) {
    assert.equal(u[i], ulawEncode(pcm[i]));
    assert.equal(a[i], alawEncode(pcm[i]));
  }
  const out = new Int16Array(5000);
  const decoded = ulawToPcm16(u, out);
  assert.equal(decoded.buffer, out.buffer);
  assert.equal(decoded.length, pcm.length);
  assert.deepEqual(Array.from(alawToPcm16(a)), Array.from(a, alawDecode));
  assert.throws(() => pcm16ToUlaw(pcm, new Uint8Array(10)), RangeError);
});

test('a -10 dBFS 1 kHz tone survives a G.711 round trip with telephone-grade SNR', () => {
  const pcm = new Int16Array(8000).map((_, i) => Math.round(0.316 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 8000 + 0.1)));
  for (const [name, back] of [
    ['mu-law', ulawToPcm16(pcm16ToUlaw(pcm))],
    ['A-law', alawToPcm16(pcm16ToAlaw(pcm))],
  ] as const) {
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < pcm.length; i++) {
      signal += pcm[i] ** 2;
      noise += (back[i] - pcm[i]) ** 2;
    }
    const snr = 10 * Math.log10(signal / noise);
    assert.ok(snr > 35 && snr < 45, `${name} SNR ${snr.toFixed(1)} dB`);
  }
});
