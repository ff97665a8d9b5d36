import { safeEqual, verifyCallToken } from '../exotel/call-token.js';

export type WsAuthResult = { ok: true; method: 'none' | 'bearer' | 'basic' | 'call-token' } | { ok: false; reason: string };

/**
 * Accepts the upgrade when no token is configured; otherwise with `Authorization: Bearer <token>`,
 * `Authorization: Basic` whose password is the token (Exotel's `wss://user:token@host` applet URLs),
 * or the per-call token that our webhook put into the URL.
 */
export function authorizeUpgrade(
  secret: string | undefined,
  authorization: string | undefined,
  callId: string | undefined,
  callToken: string | undefined,
): WsAuthResult {
  if (!secret) return { ok: true, method: 'none' };
  if (authorization) {
    const [scheme, value = ''] = authorization.trim().split(/\s+/, 2);
    if (/^bearer$/i.test(scheme) && safeEqual(value, secret)) return { ok: true, method: 'bearer' };
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0 && safeEqual(decoded.slice(colon + 1), secret)) return { ok: true, method: 'basic' };
    }
  }
  if (callId && callToken && verifyCallToken(secret, 'ws', callId, callToken)) return { ok: true, method: 'call-token' };
  return { ok: false, reason: authorization ? 'bad credentials' : callToken ? 'bad or expired call token' : 'no credentials' };
}
