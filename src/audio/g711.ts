// G.711 mu-law and A-law, bit-exact with the ITU-T G.191 reference (g711.c): 16-bit linear input
// is reduced to 14 bits (mu-law) or 13 bits (A-law) using the one's complement for negative
// values, which keeps the quantiser symmetric around zero.
//
// Decoding is a 256-entry table lookup. Encoding is also a lookup: the code depends only on the
// sample's top 14 (mu-law) or 12 (A-law, plus sign) bits, so a 16 KiB / 4 KiB table indexed by
// `sample >> 2` / `sample >> 4` covers every input. Tables are built once at module load.

function ulawExpand(code: number): number {
  const sign = code < 0x80 ? -1 : 1;
  const inv = ~code;
  const exponent = (inv >> 4) & 0x07;
  const mantissa = inv & 0x0f;
  const step = 4 << (exponent + 1);
  return sign * ((0x80 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

function ulawCompress(sample: number): number {
  let absno = (sample < 0 ? ~sample >> 2 : sample >> 2) + 33;
  if (absno > 0x1fff) absno = 0x1fff;
  let segno = 1;
  for (let i = absno >> 6; i !== 0; i >>= 1) segno++;
  const high = 0x08 - segno;
  const low = 0x0f - ((absno >> segno) & 0x0f);
  const code = (high << 4) | low;
  return sample >= 0 ? code | 0x80 : code;
}

function alawExpand(code: number): number {
  const ix = (code ^ 0x55) & 0x7f;
  const exponent = ix >> 4;
  let mant = ix & 0x0f;
  if (exponent > 0) mant += 16;
  mant = (mant << 4) + 0x08;
  if (exponent > 1) mant <<= exponent - 1;
  return code > 127 ? mant : -mant;
}

function alawCompress(sample: number): number {
  let ix = sample < 0 ? ~sample >> 4 : sample >> 4;
  if (ix > 15) {
    let exponent = 1;
    while (ix > 16 + 15) {
      ix >>= 1;
      exponent++;
    }
    ix -= 16; // the leading mantissa bit is implicit
    ix += exponent << 4;
  }
  if (sample >= 0) ix |= 0x80;
  return ix ^ 0x55;
}

const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);
for (let c = 0; c < 256; c++) {
  ULAW_DECODE[c] = ulawExpand(c);
  ALAW_DECODE[c] = alawExpand(c);
}

// Index = (sample >> 2) + 8192 for mu-law, (sample >> 4) + 2048 for A-law. For a negative sample,
// ~sample >> k equals ~(sample >> k), so the top bits alone determine the code.
const ULAW_ENCODE = new Uint8Array(16384);
for (let i = 0; i < 16384; i++) ULAW_ENCODE[i] = ulawCompress((i - 8192) << 2);
const ALAW_ENCODE = new Uint8Array(4096);
for (let i = 0; i < 4096; i++) ALAW_ENCODE[i] = alawCompress((i - 2048) << 4);

/** Decodes one mu-law byte to a 16-bit linear sample. */
export function ulawDecode(code: number): number {
  return ULAW_DECODE[code & 0xff];
}

/** Encodes one 16-bit linear sample (-32768..32767) to a mu-law byte. */
export function ulawEncode(sample: number): number {
  return ULAW_ENCODE[(sample >> 2) + 8192];
}

/** Decodes one A-law byte to a 16-bit linear sample. */
export function alawDecode(code: number): number {
  return ALAW_DECODE[code & 0xff];
}

/** Encodes one 16-bit linear sample (-32768..32767) to an A-law byte. */
export function alawEncode(sample: number): number {
  return ALAW_ENCODE[(sample >> 4) + 2048];
}

/** mu-law bytes to PCM16 samples; pass `out` (length >= input) to avoid allocating. */
export function ulawToPcm16(codes: Uint8Array, out = new Int16Array(codes.length)): Int16Array {
  checkOut(out.length, codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ULAW_DECODE[codes[i]];
  return out.length === codes.length ? out : out.subarray(0, codes.length);
}

/** PCM16 samples to mu-law bytes; pass `out` (length >= input) to avoid allocating. */
export function pcm16ToUlaw(samples: Int16Array, out = new Uint8Array(samples.length)): Uint8Array {
  checkOut(out.length, samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = ULAW_ENCODE[(samples[i] >> 2) + 8192];
  return out.length === samples.length ? out : out.subarray(0, samples.length);
}

/** A-law bytes to PCM16 samples; pass `out` (length >= input) to avoid allocating. */
export function alawToPcm16(codes: Uint8Array, out = new Int16Array(codes.length)): Int16Array {
  checkOut(out.length, codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = ALAW_DECODE[codes[i]];
  return out.length === codes.length ? out : out.subarray(0, codes.length);
}

/** PCM16 samples to A-law bytes; pass `out` (length >= input) to avoid allocating. */
export function pcm16ToAlaw(samples: Int16Array, out = new Uint8Array(samples.length)): Uint8Array {
  checkOut(out.length, samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = ALAW_ENCODE[(samples[i] >> 4) + 2048];
  return out.length === samples.length ? out : out.subarray(0, samples.length);
}

function checkOut(outLength: number, needed: number): void {
  if (outLength < needed) throw new RangeError(`output buffer too small: ${outLength} < ${needed}`);
}
