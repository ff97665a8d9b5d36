// Talking to the gateway: every data request carries the API key (when the server asked for one) as a bearer
// token. The key lives in sessionStorage for this tab only: never in a URL, never logged.
const KEY_STORAGE = 'exovoice.apiKey';

/** Listeners told when the server wants a key (401): the app shows the key dialog. */
const keyWanted = new Set();

export function onKeyWanted(fn) {
  keyWanted.add(fn);
  return () => keyWanted.delete(fn);
}

export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export function hasApiKey() {
  return Boolean(sessionStorage.getItem(KEY_STORAGE));
}

function authHeaders(extra = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error ?? body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Waits until the key dialog is answered, then resolves. */
function askForKey(reason) {
  return new Promise((resolve) => {
    for (const fn of keyWanted) fn(reason, resolve);
  });
}

/** A JSON request; a 401 asks for the key once and retries. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = authHeaders(body === undefined ? {} : { 'content-type': 'application/json' });
    const res = await fetch(path, { method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 401 && attempt < 3) {
      await askForKey(hasApiKey() ? 'That key was refused.' : 'This server needs its API key.');
      continue;
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { error: text.slice(0, 200) };
    }
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }
}

/**
 * A binary resource (a call's recording) as an ArrayBuffer, with the key; null for a 404. `<audio src>` cannot
 * send the Authorization header, so the player fetches the file and plays it from a blob: URL.
 */
export async function apiBytes(path, { signal } = {}) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, { headers: authHeaders(), signal, cache: 'no-store' });
    if (res.status === 401 && attempt < 3) {
      await askForKey(hasApiKey() ? 'That key was refused.' : 'This server needs its API key.');
      continue;
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res.arrayBuffer();
  }
}

/**
 * Server-sent events through fetch (EventSource cannot send an Authorization header). Calls `onEvent(name, data)`
 * per event and reconnects after a drop until `signal` aborts; `onState(connected)` reports the connection.
 */
export async function streamEvents(path, { signal, onEvent, onState = () => {} }) {
  let retryMs = 2000;
  while (!signal.aborted) {
    try {
      const res = await fetch(path, { headers: authHeaders({ accept: 'text/event-stream' }), signal, cache: 'no-store' });
      if (res.status === 401) {
        onState(false);
        await askForKey(hasApiKey() ? 'That key was refused.' : 'This server needs its API key.');
        continue;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let name = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
            else if (line.startsWith('retry:')) retryMs = Number(line.slice(6)) || retryMs;
          }
          if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
        }
      }
    } catch (err) {
      if (signal.aborted) return;
    }
    onState(false);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}
