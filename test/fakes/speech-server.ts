import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  StallGate,
  readJsonRequest,
  sendJson,
  speechSignal,
  streamAudio,
  type ChunkSchedule,
  type FakeSpeechFailure,
  type SpeechRequestRecord,
} from './speech-stream.js';

/**
 * The base of the fake streaming-TTS servers (elevenlabs.ts, openai-speech.ts): a real loopback HTTP server
 * that records every request, plays scripted failures in the provider's own error shapes, and streams the
 * deterministic "voice" on the chunk schedule. A subclass says only what differs: its routes, its auth and
 * validation, and its error bodies.
 */

export interface FakeSpeechServerOptions extends ChunkSchedule {
  apiKey?: string;
  /** Tone length per word. */
  msPerWord?: number;
}

/** One request, parsed, as a subclass's `route` sees it. */
export interface SpeechExchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The JSON body (undefined when empty or not JSON; see `parsed`). */
  json: unknown;
  parsed: boolean;
  record: SpeechRequestRecord;
}

export abstract class FakeSpeechServer {
  readonly apiKey: string;
  readonly msPerWord: number;
  /** Change between requests to shape the next streams. */
  schedule: ChunkSchedule;
  readonly requests: SpeechRequestRecord[] = [];
  readonly #failures: FakeSpeechFailure[] = [];
  readonly #gate = new StallGate();
  readonly #server: Server;
  readonly #authHeader: string;
  #origin = '';

  /** `authHeader` is the request header that carries the key (masked in the records). */
  protected constructor(options: FakeSpeechServerOptions, defaults: { apiKey: string; authHeader: string }) {
    this.apiKey = options.apiKey ?? defaults.apiKey;
    this.msPerWord = options.msPerWord ?? 150;
    this.schedule = { ttfbMs: options.ttfbMs, intervalMs: options.intervalMs, sizes: options.sizes };
    this.#authHeader = defaults.authHeader;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  /** Listens on an ephemeral loopback port. */
  protected async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#origin = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** http://127.0.0.1:<port> */
  protected get origin(): string {
    return this.#origin;
  }

  /** The next request fails this way (queued, one per request). */
  failNext(failure: FakeSpeechFailure): void {
    this.#failures.push(failure);
  }

  /** Lets stalled streams continue. */
  resume(): void {
    this.#gate.release();
  }

  async close(): Promise<void> {
    this.#gate.release();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The provider's voice for `text` at `rate`, before any encoding. */
  protected speak(text: string, rate: number): Int16Array {
    return speechSignal(text, rate, this.msPerWord);
  }

  /** Routes, authenticates and validates one request; answers it or streams audio with `playFailure`'s leftover. */
  protected abstract route(exchange: SpeechExchange): void;

  /** The provider's 429 answer. */
  protected abstract rateLimited(exchange: SpeechExchange, headers: Record<string, string>): void;

  /** The provider's 5xx answer. */
  protected abstract serverError(exchange: SpeechExchange, status: number): void;

  /**
   * Call once the request is authenticated: answers a scripted rate-limit, server error or canned answer
   * (returning 'answered'), or hands back the failure (drop, stall, or none) the audio stream must play.
   */
  protected playFailure(exchange: SpeechExchange): 'answered' | { streamFailure: FakeSpeechFailure | undefined } {
    const failure = this.#failures.shift();
    if (failure?.kind === 'rate-limit') {
      this.rateLimited(exchange, failure.retryAfterSec === undefined ? {} : { 'retry-after': String(failure.retryAfterSec) });
      return 'answered';
    }
    if (failure?.kind === 'server') {
      this.serverError(exchange, failure.status ?? 500);
      return 'answered';
    }
    if (failure?.kind === 'answer') {
      exchange.record.status = failure.status;
      exchange.res.writeHead(failure.status, { 'content-type': failure.contentType ?? 'application/json' });
      exchange.res.end(failure.body);
      return 'answered';
    }
    return { streamFailure: failure };
  }

  protected sendJson(exchange: SpeechExchange, status: number, body: unknown, headers: Record<string, string> = {}): void {
    sendJson(exchange.res, exchange.record, status, body, headers);
  }

  /** Streams `audio` on the schedule, playing a drop or stall failure. */
  protected streamAudio(
    exchange: SpeechExchange,
    audio: Uint8Array,
    contentType: string,
    failure: FakeSpeechFailure | undefined,
    headers: Record<string, string>,
  ): void {
    streamAudio(exchange.res, exchange.record, audio, contentType, this.schedule, failure, this.#gate, headers);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#origin);
    const { json, parsed, record } = await readJsonRequest(req, url, this.#authHeader);
    this.requests.push(record);
    this.route({ req, res, url, json, parsed, record });
  }
}
