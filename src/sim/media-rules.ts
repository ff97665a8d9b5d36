/**
 * Exotel's acceptance rules for bot -> Exotel `media` payloads (protocol spec §5.3), kept independent of
 * the gateway's own frame code so the simulator is a second opinion rather than an echo of it.
 */
export const EXOTEL_MIN_BYTES = 3200;
export const EXOTEL_MAX_BYTES = 100_000;
export const EXOTEL_ALIGN_BYTES = 320;
export const EXOTEL_MIN_MS = 100;

export type MediaRule =
  | 'invalid-base64'
  | 'empty-payload'
  | 'odd-length'
  | 'not-multiple-of-320'
  | 'below-minimum-size'
  | 'below-100ms'
  | 'above-maximum-size';

export interface MediaProblem {
  rule: MediaRule;
  message: string;
}

// Canonical (padded) base64 only: strict decoders on the Exotel side (and Python/Go ones in between)
// reject stray characters and missing padding, while Node's Buffer.from silently skips them.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isStrictBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/** Size problems of a decoded payload of `bytes` at the stream rate; empty when it is acceptable. */
export function checkMediaSize(bytes: number, sampleRate: number): MediaProblem[] {
  const problems: MediaProblem[] = [];
  if (bytes === 0) {
    problems.push({ rule: 'empty-payload', message: 'media payload is empty' });
    return problems;
  }
  if (bytes % 2 !== 0) problems.push({ rule: 'odd-length', message: `${bytes} bytes is not whole 16-bit samples` });
  if (bytes % EXOTEL_ALIGN_BYTES !== 0) {
    problems.push({
      rule: 'not-multiple-of-320',
      message: `${bytes} bytes is not a multiple of ${EXOTEL_ALIGN_BYTES}: the short tail costs a 20 ms tick (audible gap)`,
    });
  }
  if (bytes < EXOTEL_MIN_BYTES) {
    problems.push({ rule: 'below-minimum-size', message: `${bytes} bytes is below Exotel's ${EXOTEL_MIN_BYTES}-byte minimum` });
  }
  if (bytes > EXOTEL_MAX_BYTES) {
    problems.push({ rule: 'above-maximum-size', message: `${bytes} bytes is above Exotel's ${EXOTEL_MAX_BYTES}-byte maximum` });
  }
  const ms = (bytes / 2 / sampleRate) * 1000;
  if (ms < EXOTEL_MIN_MS) {
    problems.push({ rule: 'below-100ms', message: `${ms.toFixed(1)} ms at ${sampleRate} Hz is below the ${EXOTEL_MIN_MS} ms minimum` });
  }
  return problems;
}
