/** Tiny stand-in bots for simulator tests: real `ws` servers on loopback, scripted per test. */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

// Test doubles read arbitrary JSON from the simulator.
export type Json = any;

export class BotConn extends EventEmitter {
  readonly received: Json[] = [];
  start: Json;
  readonly closed: Promise<{ code: number }>;

  constructor(
    readonly ws: WebSocket,
    readonly req: IncomingMessage,
  ) {
    super();
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  }

  get streamSid(): string {
    return this.start.stream_sid ?? this.start.streamSid;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  sendMedia(pcm: Buffer): void {
    this.sendBase64(pcm.toString('base64'));
  }

  sendBase64(payload: string): void {
    this.ws.send(JSON.stringify({ event: 'media', stream_sid: this.streamSid, media: { payload } }));
  }

  sendMark(name: string): void {
    this.ws.send(JSON.stringify({ event: 'mark', stream_sid: this.streamSid, mark: { name } }));
  }

  sendClear(): void {
    this.ws.send(JSON.stringify({ event: 'clear', stream_sid: this.streamSid }));
  }

  /** Sends frames one interval apart on a drift-free schedule, `lead` of them up front. */
  async sendPaced(frames: Buffer[], intervalMs: number, lead = 1): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; i < frames.length; i++) {
      const due = t0 + Math.max(0, i - lead + 1) * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.ws.readyState !== this.ws.OPEN) return;
      this.sendMedia(frames[i]);
    }
  }

  /** Resolves with the first received message matching. */
  next(predicate: (msg: Json) => boolean): Promise<Json> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onMessage = (msg: Json): void => {
        if (!predicate(msg)) return;
        this.off('message', onMessage);
        resolve(msg);
      };
      this.on('message', onMessage);
    });
  }
}

export interface BotServer {
  port: number;
  wsUrl(pathAndQuery?: string): string;
  upgrades: Array<{ url: string; headers: IncomingMessage['headers'] }>;
  connections: BotConn[];
  http: Server;
  close(): Promise<void>;
}

/** Starts a bot; `onStart` runs once the simulator's `start` message arrived on a connection. */
export async function startBot(onStart: (conn: BotConn) => void, onUpgrade?: (req: IncomingMessage) => number | undefined): Promise<BotServer> {
  const http = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const upgrades: BotServer['upgrades'] = [];
  const connections: BotConn[] = [];
  http.on('upgrade', (req, socket, head) => {
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    const refuse = onUpgrade?.(req);
    if (refuse !== undefined) {
      socket.end(`HTTP/1.1 ${refuse} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new BotConn(ws, req);
      connections.push(conn);
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString());
        conn.received.push(msg);
        if (msg.event === 'start') {
          conn.start = msg;
          onStart(conn);
        }
        conn.emit('message', msg);
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    wsUrl: (pathAndQuery = '/media') => `ws://127.0.0.1:${port}${pathAndQuery}`,
    upgrades,
    connections,
    http,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** PCM16LE bytes whose samples are all `level + (i % 50)`: never zero, recognisable in the playout. */
export function marked(samples: number, level: number): Buffer {
  const buf = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) buf.writeInt16LE(level + (i % 50), i * 2);
  return buf;
}

/** Splits into frames of `bytes`. */
export function frames(pcm: Buffer, bytes: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < pcm.length; i += bytes) out.push(pcm.subarray(i, i + bytes));
  return out;
}

/** Samples of the playout recording that came from audio made with `marked(…, level)`. */
export function countMarked(played: Int16Array, level: number, from = 0, to = played.length): number {
  let n = 0;
  for (let i = from; i < to; i++) if (played[i] >= level && played[i] < level + 50) n++;
  return n;
}

/** The same pattern as `marked`, as samples. */
export function markedSamples(samples: number, level: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => level + (i % 50));
}
