/** Query parameters that carry credentials; their values never reach a log. */
const SECRET_PARAMS = /^(token|sig|signature|key|api_key|apikey|secret|password|auth)$/i;

/** Masks credentials in a URL (userinfo password and secret query values); tolerates relative URLs. */
export function maskUrl(url: string): string {
  const relative = url.startsWith('/');
  let u: URL;
  try {
    u = new URL(url, relative ? 'http://x' : undefined);
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
  }
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) if (SECRET_PARAMS.test(key)) u.searchParams.set(key, '***');
  const out = u.toString().replace(/%2A%2A%2A/g, '***');
  return relative ? out.slice('http://x'.length) : out;
}

/** Masks an Authorization header value, keeping the scheme for diagnosis. */
export function maskAuthorization(value: string | undefined): string | undefined {
  if (!value) return value;
  const scheme = value.split(' ')[0];
  return `${scheme} ***`;
}
