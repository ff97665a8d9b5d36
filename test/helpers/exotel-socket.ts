import WebSocket from 'ws';

export interface BotMessage {
  event: string;
  stream_sid?: string;
  media?: { payload: string };
  mark?: { name: string };
  [k: string]: unknown;
}

/**
 * A bare Exotel-side socket for protocol tests: sends exactly what the test says and records what the bot
 * sends back (the full simulator lives in src/sim).
 */
export class ExotelSocket {
  readonly received: Array<BotMessage & { at: number }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push({ ...(JSON.parse(data.toString()) as BotMessage), at: performance.now() });
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<ExotelSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const s = new ExotelSocket(ws);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  start(opts: { streamSid?: string; callSid?: string; sampleRate?: string | number; custom?: Record<string, string> } = {}): void {
    this.send({ event: 'connected' });
    this.send({
      event: 'start',
      sequence_number: '1',
      stream_sid: opts.streamSid ?? 'stream1',
      start: {
        stream_sid: opts.streamSid ?? 'stream1',
        call_sid: opts.callSid ?? 'call1',
        account_sid: 'acct',
        from: '+919876543210',
        to: '08047491899',
        custom_parameters: opts.custom ?? {},
        media_format: { encoding: 'audio/x-raw', sample_rate: String(opts.sampleRate ?? 8000), bit_rate: '16' },
      },
    });
  }

  media(pcm: Int16Array, seq = 2): void {
    const payload = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
    this.send({ event: 'media', sequence_number: String(seq), stream_sid: 'stream1', media: { chunk: String(seq - 1), timestamp: '0', payload } });
  }

  stop(): void {
    this.send({ event: 'stop', sequence_number: '99', stream_sid: 'stream1', stop: { call_sid: 'call1', reason: 'callended' } });
  }

  /** Resolves with the first received message (past or future) matching `pred`. */
  async waitFor(pred: (m: BotMessage) => boolean, timeoutMs = 5000): Promise<BotMessage & { at: number }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting; received ${this.received.map((m) => m.event).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close(1000);
  }
}

export async function until(pred: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The HTTP status of a WebSocket upgrade: 101 when it opened (then closed at once), else the refusal's status. */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  try {
    const s = await ExotelSocket.open(url, headers);
    s.close();
    await s.closed;
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}
