// Shared machinery of the fake streaming-TTS servers (elevenlabs.ts, openai-speech.ts): the
// deterministic audio they speak, the chunk schedule they stream it on, scripted failures, and the
// record of each request.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A deterministic "voice": one tone per word, so the duration follows the text. */
export function speechSignal(text: string, rate: number, msPerWord: number): Int16Array {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const perWord = Math.round((rate * msPerWord) / 1000);
  const out = new Int16Array(words.length * perWord);
  words.forEach((word, w) => {
    const hz = 220 + 40 * ((word.length + w) % 10);
    for (let i = 0; i < perWord; i++) out[w * perWord + i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate));
  });
  return out;
}

/** PCM16 little-endian bytes. */
export function pcm16le(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}

export interface ChunkSchedule {
  /** Wait before the status line and the first audio byte (the provider's time to first byte). */
  ttfbMs?: number;
  /** Wait between chunks; 0 = next turn of the event loop. */
  intervalMs?: number;
  /** Chunk sizes in bytes, cycled. Odd sizes split samples across chunks. */
  sizes?: readonly number[];
}

export const DEFAULT_CHUNK_SIZES: readonly number[] = [1, 333, 2, 1001, 7, 4096, 3, 811];

export type FakeSpeechFailure =
  /** 429 with the provider's body and, when given, Retry-After. */
  | { kind: 'rate-limit'; retryAfterSec?: number }
  /** A 5xx with the provider's body. */
  | { kind: 'server'; status?: number }
  /** Stream `afterBytes` of audio, then destroy the connection. */
  | { kind: 'drop'; afterBytes: number }
  /**
   * Stream `afterBytes` of audio (0: not even the status line), then wait until `resume()`. Tests use
   * it to hold a stream mid-way deterministically, and as a stalled provider.
   */
  | { kind: 'stall'; afterBytes: number }
  /** Answer exactly this (e.g. a 200 with JSON in it). */
  | { kind: 'answer'; status: number; body: string; contentType?: string };

export interface SpeechRequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; the auth header is masked. */
  headers: Record<string, string>;
  /** The JSON body, or the raw text when it is not JSON. */
  body: unknown;
  status: number;
  /** Audio bytes the answer would carry in full (0 for errors). */
  bytesTotal: number;
  bytesSent: number;
  /** Size of each chunk written. */
  chunks: number[];
  /** performance.now() when the first audio byte was written. */
  firstByteAt?: number;
  /** The whole body was written. */
  finished: boolean;
  /** The client went away before the body was complete. */
  clientClosed: boolean;
  /** Settles when the exchange is over (finished, dropped or closed by the client). */
  done: Promise<void>;
  /** Settles when a `stall` failure holds the stream (never otherwise). */
  stalled: Promise<void>;
}

export function newRecord(req: IncomingMessage, url: URL, body: unknown, authHeader: string): SpeechRequestRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = k === authHeader ? '***' : v;
  return {
    method: req.method ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    status: 0,
    bytesTotal: 0,
    bytesSent: 0,
    chunks: [],
    finished: false,
    clientClosed: false,
    done: Promise.resolve(),
    stalled: new Promise<void>(() => {}),
  };
}

/** Reads the whole request body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request's body parsed as JSON (`parsed: false` when it is not), and its record. */
export async function readJsonRequest(
  req: IncomingMessage,
  url: URL,
  authHeader: string,
): Promise<{ json: unknown; parsed: boolean; record: SpeechRequestRecord }> {
  const raw = await readBody(req);
  try {
    const json: unknown = raw === '' ? undefined : JSON.parse(raw);
    return { json, parsed: true, record: newRecord(req, url, json, authHeader) };
  } catch {
    return { json: undefined, parsed: false, record: newRecord(req, url, raw, authHeader) };
  }
}

export function sendJson(res: ServerResponse, record: SpeechRequestRecord, status: number, body: unknown, headers: Record<string, string> = {}): void {
  record.status = status;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Holds stalled streams until released. */
export class StallGate {
  #waiting: Array<() => void> = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const go of waiting) go();
  }
}

/**
 * Streams `audio` on the schedule, honouring a `drop`/`stall` failure, and stops the moment the
 * client goes away (recorded as `clientClosed`).
 */
export function streamAudio(
  res: ServerResponse,
  record: SpeechRequestRecord,
  audio: Uint8Array,
  contentType: string,
  schedule: ChunkSchedule,
  failure: FakeSpeechFailure | undefined,
  gate: StallGate,
  extraHeaders: Record<string, string> = {},
): void {
  record.bytesTotal = audio.length;
  record.status = 200;
  const sizes = schedule.sizes && schedule.sizes.length > 0 ? schedule.sizes : DEFAULT_CHUNK_SIZES;
  let closed = false;
  let settle!: () => void;
  record.done = new Promise((resolve) => (settle = resolve));
  let onStall!: () => void;
  record.stalled = new Promise((resolve) => (onStall = resolve));
  res.on('close', () => {
    closed = true;
    if (!record.finished) record.clientClosed = record.bytesSent < audio.length && failure?.kind !== 'drop';
    settle();
  });
  const wait = (ms: number) => new Promise<void>((r) => (ms > 0 ? setTimeout(r, ms) : setImmediate(r)));
  void (async () => {
    const limit = failure?.kind === 'drop' || failure?.kind === 'stall' ? Math.min(failure.afterBytes, audio.length) : audio.length;
    let stalled = false;
    if (failure?.kind === 'stall' && limit === 0) {
      stalled = true;
      onStall();
      await gate.wait();
    }
    await wait(schedule.ttfbMs ?? 0);
    if (closed) return;
    res.writeHead(200, { 'content-type': contentType, ...extraHeaders });
    res.flushHeaders();
    let sent = 0;
    let n = 0;
    while (sent < audio.length) {
      if (closed) return;
      if (sent === limit && failure?.kind === 'drop') {
        res.socket?.destroy();
        return;
      }
      if (sent === limit && failure?.kind === 'stall' && !stalled) {
        stalled = true;
        onStall();
        await gate.wait();
        if (closed) return;
      }
      const end = Math.min(sent + sizes[n++ % sizes.length]!, sent < limit ? limit : audio.length);
      res.write(audio.subarray(sent, end));
      if (record.firstByteAt === undefined) record.firstByteAt = performance.now();
      record.chunks.push(end - sent);
      record.bytesSent = sent = end;
      if (sent < audio.length) await wait(schedule.intervalMs ?? 0);
    }
    if (closed) return;
    record.finished = true;
    res.end();
  })();
}
