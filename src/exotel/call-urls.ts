// The URLs we hand Exotel: our public base as Exotel reaches it, and the per-call signed status-callback URL.
import type { IncomingHttpHeaders } from 'node:http';
import { signCallToken } from './call-token.js';

const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}

/**
 * The public base URL of this server as the caller of a request sees it: the configured one, else the proxy's
 * X-Forwarded-Proto/-Host, else the Host header. Returns undefined when the headers are not a usable host.
 */
export function publicBaseUrl(configured: string | undefined, headers: IncomingHttpHeaders, tls: boolean): string | undefined {
  if (configured) return configured;
  const host = first(headers['x-forwarded-host']) ?? first(headers.host);
  if (!host || !HOST_RE.test(host)) return undefined;
  const proto = first(headers['x-forwarded-proto'])?.toLowerCase();
  const scheme = proto === 'https' || proto === 'wss' ? 'https' : proto === 'http' || proto === 'ws' ? 'http' : tls ? 'https' : 'http';
  return `${scheme}://${host}`;
}

/** https -> wss, http -> ws. */
export function toWebSocketBase(base: string): string {
  return base.replace(/^https:/i, 'wss:').replace(/^http:/i, 'ws:');
}

export const STATUS_CALLBACK_PATH = '/api/v1/exotel/status';
/** Exotel may deliver a terminal callback long after a call; keep its URL valid for days. */
const STATUS_TOKEN_TTL_SEC = 7 * 24 * 3600;

/** The status-callback URL we hand Exotel for one call record: Exotel signs nothing, so the URL carries an HMAC. */
export function statusCallbackUrl(publicBase: string, secret: string, recordId: string): string {
  const q = new URLSearchParams({ call: recordId, token: signCallToken(secret, 'status', recordId, STATUS_TOKEN_TTL_SEC) });
  return `${publicBase}${STATUS_CALLBACK_PATH}?${q}`;
}
