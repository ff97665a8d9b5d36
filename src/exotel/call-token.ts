import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-call tokens for URLs we hand to Exotel (media WebSocket, status callbacks). Exotel signs nothing, so the
 * URL itself carries an HMAC over the call id, the purpose and an expiry, keyed with our secret. Format:
 * `<expiry epoch seconds>.<base64url HMAC-SHA256, 128 bits>`, short enough for Exotel's 600-char StreamUrl.
 */
export type TokenPurpose = 'ws' | 'status';

function mac(secret: string, purpose: TokenPurpose, callId: string, exp: number): Buffer {
  return createHmac('sha256', secret).update(`${purpose}\n${callId}\n${exp}`).digest().subarray(0, 16);
}

export function signCallToken(secret: string, purpose: TokenPurpose, callId: string, ttlSec: number, nowMs = Date.now()): string {
  const exp = Math.floor(nowMs / 1000) + ttlSec;
  return `${exp}.${mac(secret, purpose, callId, exp).toString('base64url')}`;
}

export function verifyCallToken(
  secret: string,
  purpose: TokenPurpose,
  callId: string,
  token: string | undefined,
  nowMs = Date.now(),
): boolean {
  if (!token) return false;
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return false;
  const exp = Number(m[1]);
  const expected = mac(secret, purpose, callId, exp);
  const given = Buffer.from(m[2], 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected) && exp * 1000 >= nowMs;
}

/** Constant-time string comparison (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHmac('sha256', 'cmp').update(a).digest();
  const y = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(x, y);
}
