import type { IncomingHttpHeaders } from 'node:http';

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
