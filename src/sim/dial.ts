import WebSocket from 'ws';

/**
 * How Exotel reaches a bot (spec §2, §6): optionally ask a dynamic-URL webhook for the stream URL, then
 * open the WebSocket exactly as given, turning URL userinfo into a Basic Authorization header.
 */
export type WebhookMethod = 'GET' | 'POST';
export type WebhookBody = 'form' | 'json';

export interface WebhookRequest {
  url: string;
  method: WebhookMethod;
  /** POST body encoding (GET always uses the query string). */
  body: WebhookBody;
  params: Record<string, string>;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface WebhookResult {
  streamUrl: string;
  status: number;
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i;

/** Removes `user:pass@` from a URL without otherwise touching its bytes; returns the Basic header for it. */
export function splitUserinfo(url: string): { url: string; authorization: string | undefined } {
  const match = USERINFO.exec(url);
  if (!match) return { url, authorization: undefined };
  const [user, ...rest] = match[2].split(':');
  const credentials = `${decodeURIComponent(user)}:${decodeURIComponent(rest.join(':'))}`;
  return {
    url: match[1] + url.slice(match[0].length),
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  };
}

function withAuthorization(headers: Record<string, string>, authorization: string | undefined): Record<string, string> {
  const hasOwn = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return authorization && !hasOwn ? { ...headers, Authorization: authorization } : { ...headers };
}

export async function callWebhook(req: WebhookRequest): Promise<WebhookResult> {
  const { url: bare, authorization } = splitUserinfo(req.url);
  const headers = withAuthorization({ Accept: 'application/json', ...req.headers }, authorization);
  const query = new URLSearchParams(req.params).toString();
  let target = bare;
  let body: string | undefined;
  if (req.method === 'GET') {
    target = bare + (bare.includes('?') ? '&' : '?') + query;
  } else if (req.body === 'json') {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(req.params);
  } else {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = query;
  }
  const response = await fetch(target, { method: req.method, headers, body, signal: AbortSignal.timeout(req.timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`webhook ${req.method} ${bare} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch {
    throw new Error(`webhook ${bare} did not answer JSON: ${text.slice(0, 200)}`);
  }
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) {
    throw new Error(`webhook ${bare} answer has no ws:// or wss:// "url": ${text.slice(0, 200)}`);
  }
  return { streamUrl: url, status: response.status };
}

export interface StreamParameters {
  sampleRate: number;
  customParameters: Record<string, string>;
  notes: string[];
}

const SAMPLE_RATES = new Set([8000, 16000, 24000]);
const MAX_CUSTOM_PARAMETERS = 3;

/**
 * What Exotel derives from the stream URL's query: the rate from `sample-rate` (hyphen only; anything else
 * stays 8 kHz) and up to three custom parameters (key-only items arrive as "").
 */
export function streamParametersFromUrl(url: string): StreamParameters {
  const notes: string[] = [];
  const query = new URL(url).searchParams;
  let sampleRate = 8000;
  const rawRate = query.get('sample-rate');
  if (rawRate !== null) {
    const rate = Number(rawRate);
    if (SAMPLE_RATES.has(rate)) sampleRate = rate;
    else notes.push(`sample-rate=${rawRate} is not 8000/16000/24000; Exotel stays at 8000`);
  }
  const customParameters: Record<string, string> = {};
  let kept = 0;
  for (const [key, value] of query) {
    if (key === 'sample-rate') continue;
    if (kept === MAX_CUSTOM_PARAMETERS) {
      notes.push(`custom parameter "${key}" dropped: Exotel passes at most ${MAX_CUSTOM_PARAMETERS}`);
      continue;
    }
    customParameters[key] = value;
    kept += 1;
  }
  return { sampleRate, customParameters, notes };
}

export interface OpenStreamOptions {
  headers: Record<string, string>;
  handshakeTimeoutMs: number;
  /** Exotel retries a failed handshake once. */
  retries: number;
}

function openOnce(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    const fail = (err: Error): void => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      reject(err);
    };
    ws.once('open', () => {
      ws.removeAllListeners();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
    ws.once('error', fail);
  });
}

export async function openStream(url: string, options: OpenStreamOptions): Promise<{ ws: WebSocket; attempts: number; url: string }> {
  const { url: bare, authorization } = splitUserinfo(url);
  const headers = withAuthorization(options.headers, authorization);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    try {
      return { ws: await openOnce(bare, headers, options.handshakeTimeoutMs), attempts: attempt, url: bare };
    } catch (err) {
      lastError = err as Error;
    }
  }
  throw new Error(`WebSocket to ${bare} failed: ${lastError?.message ?? 'unknown error'}`);
}
