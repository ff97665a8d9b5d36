// Low-level hostile clients: WebSockets that send whatever they are told, HTTP requests whose answer is read even
// when the server cuts the upload short, and raw TCP sockets that trickle or say nothing.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';

export interface WsOutcome {
  /** The upgrade was accepted. */
  opened: boolean;
  /** HTTP status of a refused upgrade. */
  status?: number;
  /** Close code, when the server closed the socket while we held it. */
  closeCode?: number;
}

/**
 * Opens a WebSocket, hands it to `act`, then holds it `holdMs` (or until the server closes it) and ends it.
 * Never rejects on what the server does: refusals and closes are outcomes.
 */
export async function hostileSocket(
  url: string,
  act: (ws: WebSocket) => void | Promise<void>,
  holdMs = 300,
): Promise<WsOutcome> {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  const outcome: WsOutcome = { opened: false };
  const closed = new Promise<void>((resolve) =>
    ws.on('close', (code) => {
      outcome.closeCode = code;
      resolve();
    }),
  );
  ws.on('error', () => {});
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      outcome.status = res.statusCode;
      res.resume();
      resolve(false);
    });
    ws.once('error', () => resolve(false));
  });
  if (!opened) {
    ws.terminate();
    return outcome;
  }
  outcome.opened = true;
  try {
    await act(ws);
  } catch (err) {
    // A send on a socket the server already closed is an outcome (the close code says what happened); any
    // other failure is the attack's own and must not pass for a server that coped.
    if (ws.readyState === WebSocket.OPEN) {
      ws.terminate();
      throw err;
    }
  }
  await Promise.race([closed, new Promise((r) => setTimeout(r, holdMs))]);
  const serverClosed = outcome.closeCode;
  ws.terminate();
  await closed;
  outcome.closeCode = serverClosed;
  return outcome;
}

/** Several hostile sockets at once. */
export function hostileSockets(urls: string[], act: (ws: WebSocket, i: number) => void | Promise<void>, holdMs = 300): Promise<WsOutcome[]> {
  return Promise.all(urls.map((u, i) => hostileSocket(u, (ws) => act(ws, i), holdMs)));
}

export interface HttpOutcome {
  /** 0: no answer (the connection was cut or timed out before a status line). */
  status: number;
  body: string;
  error?: string;
}

/** One HTTP request to the server; the body may be anything, even a lie about its type. */
export function hit(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpOutcome> {
  const url = new URL(path, base);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: HttpOutcome) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 4096) text += d;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => done({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      done({ status: 0, body: '', error: 'timed out' });
    });
    req.on('error', (err) => setTimeout(() => done({ status: 0, body: '', error: err.message }), 50));
    if (body) req.end(body);
    else req.end();
  });
}

/** Raw TCP connections to the server that send `text` one byte every `byteMs` (or nothing, for `text` ''). */
export async function trickle(port: number, texts: string[], byteMs: number, holdMs: number): Promise<Array<{ answered: boolean; closedByServer: boolean }>> {
  const sockets: Socket[] = [];
  const results = texts.map(() => ({ answered: false, closedByServer: false }));
  let stopping = false;
  await Promise.all(
    texts.map(
      (text, i) =>
        new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => resolve());
          sockets.push(s);
          s.on('data', () => (results[i].answered = true));
          s.on('close', () => {
            if (!stopping) results[i].closedByServer = true;
          });
          s.on('error', () => resolve());
          let k = 0;
          const t = setInterval(() => {
            if (k >= text.length || s.destroyed) return clearInterval(t);
            s.write(text[k++]);
          }, byteMs);
          s.on('close', () => clearInterval(t));
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, holdMs));
  stopping = true;
  for (const s of sockets) s.destroy();
  return results;
}
