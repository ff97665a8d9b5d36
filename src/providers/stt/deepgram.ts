// Deepgram live transcription (Nova models) over the /v1/listen WebSocket, without the SDK.
// Wire protocol followed (see test/fakes/deepgram.ts for the full list of pages):
//   https://developers.deepgram.com/reference/speech-to-text/listen-streaming (query, messages)
//   https://developers.deepgram.com/docs/audio-keep-alive, /docs/finalize, /docs/close-stream
//   https://developers.deepgram.com/docs/stt-troubleshooting-websocket-data-and-net-errors
// Audio goes out as binary frames of raw PCM16LE (encoding=linear16) at the call's rate.
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { asBuffer } from '../../audio/pcm.js';
import { ProviderError, abortReason } from '../errors.js';
import type { StreamingSpeechToText, SttEvent, SttStream, SttStreamOptions } from '../types.js';

export const DEFAULT_DEEPGRAM_BASE_URL = 'wss://api.deepgram.com';
export const DEFAULT_DEEPGRAM_MODEL = 'nova-3';

/** Calls `tick` every `intervalMs` until the returned function is called. Injectable for tests. */
export type Ticker = (intervalMs: number, tick: () => void) => () => void;

const realTicker: Ticker = (intervalMs, tick) => {
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};

export interface DeepgramSttOptions {
  apiKey: string;
  /** API root without the version, `wss://`/`https://` (or `ws://`/`http://` for a local fake). */
  baseUrl?: string;
  /** Default `nova-3`; Nova-3 takes `keyterm`, older models `keywords`. */
  model?: string;
  /** Silence (ms) after which Deepgram marks a result `speech_final`; `false` disables. Default 300. */
  endpointingMs?: number | false;
  /** Gap (ms) after the last word before Deepgram sends `UtteranceEnd`; `false` disables. Default 1000. */
  utteranceEndMs?: number | false;
  /** Default true. */
  smartFormat?: boolean;
  /** The upgrade must complete within this (default 5000 ms), else `timeout`. */
  connectTimeoutMs?: number;
  /** After CloseStream, wait this long (default 3000 ms) for Deepgram to close before dropping the socket. */
  closeTimeoutMs?: number;
  /**
   * Every interval, if nothing was sent during it, send a KeepAlive (default 3000 ms; 0 disables).
   * Deepgram closes a stream that receives nothing for 10 s (NET-0001); audio flows continuously on
   * a call, so this only fires while writes pause.
   */
  keepAliveIntervalMs?: number;
  /** Audio kept while (re)connecting, and socket backlog allowed, in ms (default 2000); oldest dropped beyond. */
  maxBufferedMs?: number;
  /** Reconnect once, transparently, if the stream drops mid-call (default false). */
  reconnect?: boolean;
  ticker?: Ticker;
}

export interface DeepgramStreamStats {
  /** Samples handed to a socket. */
  sentSamples: number;
  /** Samples dropped because the connect buffer or the socket backlog was full. */
  droppedSamples: number;
  keepAlives: number;
  reconnects: number;
  /** `dg-request-id` of the current connection (for support tickets and logs). */
  requestId?: string;
}

export interface DeepgramSttStream extends SttStream {
  /** Resolves once the socket is open; rejects with the ProviderError (or abort reason) if it never opens. */
  readonly ready: Promise<void>;
  readonly stats: Readonly<DeepgramStreamStats>;
}

// Results/SpeechStarted/UtteranceEnd as documented in the listen.v1 AsyncAPI spec; only the fields we use.
const resultsSchema = z.object({
  start: z.number(),
  duration: z.number(),
  is_final: z.boolean().optional(),
  speech_final: z.boolean().optional(),
  from_finalize: z.boolean().optional(),
  channel: z.object({
    alternatives: z.array(z.object({ transcript: z.string(), confidence: z.number() })),
  }),
});
const speechStartedSchema = z.object({ timestamp: z.number() });
const utteranceEndSchema = z.object({ last_word_end: z.number() });
const metadataSchema = z.object({ request_id: z.string().optional() });

/** Close code Deepgram uses for audio it cannot decode (DATA-0000): reconnecting would not help. */
const CLOSE_UNDECODABLE = 1008;
const BYTES_PER_SAMPLE = 2;
const KEEP_ALIVE = JSON.stringify({ type: 'KeepAlive' });
const FINALIZE = JSON.stringify({ type: 'Finalize' });
const CLOSE_STREAM = JSON.stringify({ type: 'CloseStream' });

export class DeepgramSpeechToText implements StreamingSpeechToText {
  readonly name = 'deepgram';
  readonly #options: DeepgramSttOptions;
  readonly #listenUrl: string;

  constructor(options: DeepgramSttOptions) {
    if (!options.apiKey) throw new ProviderError('unauthorized', 'Deepgram API key is missing');
    this.#options = options;
    this.#listenUrl = listenUrl(options.baseUrl ?? DEFAULT_DEEPGRAM_BASE_URL);
  }

  /** Opens a stream and waits until Deepgram accepted it; rejects with a ProviderError if it refused. */
  async open(options: SttStreamOptions): Promise<DeepgramSttStream> {
    const stream = this.#start(options, false);
    await stream.ready;
    return stream;
  }

  /**
   * The stream at once, still connecting: writes are buffered (bounded) until the socket opens, so
   * no caller audio is lost to the handshake. A failure to open rejects `ready` and is also
   * reported as a fatal `error` event.
   */
  connect(options: SttStreamOptions): DeepgramSttStream {
    return this.#start(options, true);
  }

  /** The URL a stream with these options connects to (no secrets in it). */
  streamUrl(options: Pick<SttStreamOptions, 'sampleRate' | 'language' | 'keywords'>): string {
    const o = this.#options;
    const model = o.model ?? DEFAULT_DEEPGRAM_MODEL;
    const endpointing = o.endpointingMs ?? 300;
    const utteranceEnd = o.utteranceEndMs ?? 1000;
    const q = new URLSearchParams({
      model,
      encoding: 'linear16',
      sample_rate: String(options.sampleRate),
      channels: '1',
      interim_results: 'true',
      vad_events: 'true',
      smart_format: String(o.smartFormat ?? true),
      endpointing: endpointing === false ? 'false' : String(endpointing),
    });
    if (utteranceEnd !== false) q.set('utterance_end_ms', String(utteranceEnd));
    if (options.language) q.set('language', options.language);
    // Keyterm prompting is Nova-3 only and takes phrases; `keywords` (older models) takes single words.
    if (model.startsWith('nova-3')) {
      for (const term of options.keywords ?? []) if (term.trim()) q.append('keyterm', term.trim());
    } else {
      const words = new Set((options.keywords ?? []).flatMap((k) => k.split(/\s+/)).filter(Boolean));
      for (const word of words) q.append('keywords', word);
    }
    return `${this.#listenUrl}?${q}`;
  }

  #start(options: SttStreamOptions, reportOpenFailure: boolean): DeepgramStream {
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) {
      throw new ProviderError('invalid-input', `Invalid sample rate ${options.sampleRate}`);
    }
    const o = this.#options;
    return new DeepgramStream({
      url: this.streamUrl(options),
      headers: { Authorization: `Token ${o.apiKey}` },
      sampleRate: options.sampleRate,
      onEvent: options.onEvent,
      signal: options.signal,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      closeTimeoutMs: o.closeTimeoutMs ?? 3000,
      keepAliveIntervalMs: o.keepAliveIntervalMs ?? 3000,
      maxBufferedMs: o.maxBufferedMs ?? 2000,
      reconnect: o.reconnect ?? false,
      ticker: o.ticker ?? realTicker,
      reportOpenFailure,
    });
  }
}

/** `<base>/v1/listen` as a ws(s) URL. */
export function listenUrl(baseUrl: string): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + '/v1/listen');
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new ProviderError('invalid-input', `Deepgram base URL must be ws(s) or http(s), got ${url.protocol}`);
  }
  url.username = '';
  url.password = '';
  return url.toString();
}

interface StreamConfig {
  url: string;
  headers: Record<string, string>;
  sampleRate: number;
  onEvent: (event: SttEvent) => void;
  signal: AbortSignal | undefined;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  keepAliveIntervalMs: number;
  maxBufferedMs: number;
  reconnect: boolean;
  ticker: Ticker;
  reportOpenFailure: boolean;
}

type State = 'connecting' | 'open' | 'closing' | 'done';

class DeepgramStream implements DeepgramSttStream {
  readonly ready: Promise<void>;
  readonly stats: DeepgramStreamStats = { sentSamples: 0, droppedSamples: 0, keepAlives: 0, reconnects: 0 };
  readonly #cfg: StreamConfig;
  #state: State = 'connecting';
  #ws: WebSocket | null = null;
  #everOpened = false;
  #readySettled = false;
  #resolveReady!: () => void;
  #rejectReady!: (reason: unknown) => void;
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;
  #closeRequested = false;
  #finalizePending = false;
  #dialTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #stopTicker: (() => void) | undefined;
  #sentSinceTick = false;
  // Samples sent on the current connection, and the audio time (ms) earlier connections covered:
  // Deepgram's clock restarts at 0 on a new connection, our event times must not.
  #connSamples = 0;
  #offsetMs = 0;
  // Ring of audio written while (re)connecting, drained in order once the socket opens.
  readonly #ring: Int16Array;
  #ringStart = 0;
  #ringLength = 0;
  readonly #maxBacklogBytes: number;
  readonly #onAbort = (): void => this.#abort();

  constructor(cfg: StreamConfig) {
    this.#cfg = cfg;
    const capacity = Math.max(1, Math.ceil((cfg.maxBufferedMs * cfg.sampleRate) / 1000));
    this.#ring = new Int16Array(capacity);
    this.#maxBacklogBytes = capacity * BYTES_PER_SAMPLE;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // `connect()` callers may never await `ready`; failures reach them as events instead.
    this.ready.catch(() => {});
    this.#finished = new Promise<void>((resolve) => (this.#resolveFinished = resolve));
    const signal = cfg.signal;
    if (signal?.aborted) {
      this.#settleReady(abortReason(signal));
      this.#finish();
      return;
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#dial();
  }

  write(audio: Int16Array): void {
    // An empty binary frame means "end of stream" to Deepgram: never send one.
    if (audio.length === 0) return;
    if (this.#state === 'open') {
      const ws = this.#ws!;
      if (ws.bufferedAmount > this.#maxBacklogBytes) {
        this.stats.droppedSamples += audio.length;
        return;
      }
      ws.send(asBuffer(audio)); // ws copies while masking, so the caller may reuse `audio`
      this.#connSamples += audio.length;
      this.stats.sentSamples += audio.length;
      this.#sentSinceTick = true;
    } else if (this.#state === 'connecting') {
      this.#buffer(audio);
    }
  }

  finalize(): void {
    if (this.#state === 'open') this.#sendText(FINALIZE);
    else if (this.#state === 'connecting') this.#finalizePending = true;
  }

  close(): Promise<void> {
    if (this.#state === 'open') this.#beginClosing();
    else if (this.#state === 'connecting') this.#closeRequested = true;
    return this.#finished;
  }

  #dial(): void {
    const ws = new WebSocket(this.#cfg.url, { headers: this.#cfg.headers, perMessageDeflate: false });
    this.#ws = ws;
    this.#dialTimer = setTimeout(() => {
      this.#dialFailed(ws, new ProviderError('timeout', `Deepgram did not accept the stream within ${this.#cfg.connectTimeoutMs} ms`));
    }, this.#cfg.connectTimeoutMs);
    ws.on('upgrade', (res) => {
      const id = res.headers['dg-request-id'];
      if (typeof id === 'string') this.stats.requestId = id;
    });
    ws.on('unexpected-response', (req, res) => {
      void refusalError(res).then((err) => {
        req.destroy();
        this.#dialFailed(ws, err);
      });
    });
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      // After the socket opened, 'close' follows and reports the drop.
      if (this.#state === 'connecting') {
        this.#dialFailed(ws, new ProviderError('connection-lost', `Could not reach Deepgram: ${err.message}`));
      }
    });
    ws.on('close', (code, reason) => this.#onClose(ws, code, reason.toString()));
  }

  #dialFailed(ws: WebSocket, err: ProviderError): void {
    if (ws !== this.#ws) return;
    this.#ws = null;
    clearTimeout(this.#dialTimer);
    ws.terminate();
    if (!this.#everOpened) {
      this.#settleReady(err);
      if (this.#cfg.reportOpenFailure) this.#emit({ type: 'error', error: err, fatal: true });
    } else {
      this.#emit({ type: 'error', error: err, fatal: true });
    }
    this.#finish();
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws) return;
    clearTimeout(this.#dialTimer);
    this.#state = 'open';
    this.#everOpened = true;
    this.#settleReady();
    this.#drainBuffer(ws);
    if (this.#finalizePending) {
      this.#finalizePending = false;
      this.#sendText(FINALIZE);
    }
    if (this.#closeRequested) this.#beginClosing();
    else if (!this.#stopTicker && this.#cfg.keepAliveIntervalMs > 0) {
      this.#stopTicker = this.#cfg.ticker(this.#cfg.keepAliveIntervalMs, () => this.#onTick());
    }
  }

  #onTick(): void {
    if (this.#state !== 'open') return;
    if (!this.#sentSinceTick) {
      this.#sendText(KEEP_ALIVE);
      this.stats.keepAlives++;
    }
    this.#sentSinceTick = false;
  }

  #onMessage(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (ws !== this.#ws) return;
    if (isBinary) {
      this.#badResponse('Deepgram sent a binary message');
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      this.#badResponse('Deepgram sent a message that is not JSON');
      return;
    }
    const type = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') {
      this.#badResponse('Deepgram sent a message without a type');
      return;
    }
    switch (type) {
      case 'Results': {
        const r = resultsSchema.safeParse(msg);
        if (!r.success) return this.#badResponse('Deepgram sent a malformed Results message');
        const m = r.data;
        const alt = m.channel.alternatives[0];
        const text = alt?.transcript ?? '';
        const final = m.is_final === true;
        const speechFinal = m.speech_final === true;
        // Empty interim results are just silence; an empty final still matters when it marks the
        // end of speech or answers a Finalize.
        if (!text && !(final && (speechFinal || m.from_finalize === true))) return;
        this.#emit({
          type: 'transcript',
          text,
          final,
          speechFinal,
          confidence: alt?.confidence,
          startMs: this.#ms(m.start),
          endMs: this.#ms(m.start + m.duration),
        });
        return;
      }
      case 'SpeechStarted': {
        const r = speechStartedSchema.safeParse(msg);
        if (!r.success) return this.#badResponse('Deepgram sent a malformed SpeechStarted message');
        this.#emit({ type: 'speech-started', atMs: this.#ms(r.data.timestamp) });
        return;
      }
      case 'UtteranceEnd': {
        const r = utteranceEndSchema.safeParse(msg);
        if (!r.success) return this.#badResponse('Deepgram sent a malformed UtteranceEnd message');
        this.#emit({ type: 'utterance-end', atMs: this.#ms(r.data.last_word_end) });
        return;
      }
      case 'Metadata': {
        const r = metadataSchema.safeParse(msg);
        if (r.success && r.data.request_id) this.stats.requestId = r.data.request_id;
        return;
      }
      default:
        // Types added after this adapter was written (e.g. answers to Configure) are not errors.
        return;
    }
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    if (this.#state === 'connecting') {
      // Closed during the handshake without an 'error' first.
      this.#dialFailed(ws, new ProviderError('connection-lost', `Deepgram closed the stream while connecting (${code})`));
      return;
    }
    this.#ws = null;
    if (this.#state === 'closing') {
      this.#finish();
      return;
    }
    if (this.#state !== 'open') return;
    const err = dropError(code, reason);
    if (this.#cfg.reconnect && this.stats.reconnects === 0 && code !== CLOSE_UNDECODABLE) {
      this.stats.reconnects++;
      this.#offsetMs += (this.#connSamples * 1000) / this.#cfg.sampleRate;
      this.#connSamples = 0;
      this.#state = 'connecting';
      this.#emit({ type: 'error', error: err, fatal: false });
      this.#dial();
      return;
    }
    this.#emit({ type: 'error', error: err, fatal: true });
    this.#finish();
  }

  #beginClosing(): void {
    this.#state = 'closing';
    this.#sendText(CLOSE_STREAM);
    this.#closeTimer = setTimeout(() => {
      const ws = this.#ws;
      this.#ws = null;
      ws?.terminate();
      this.#finish();
    }, this.#cfg.closeTimeoutMs);
  }

  #abort(): void {
    if (this.#state === 'done') return;
    const ws = this.#ws;
    this.#ws = null;
    ws?.terminate();
    this.#settleReady(abortReason(this.#cfg.signal!));
    this.#finish();
  }

  #finish(): void {
    if (this.#state === 'done') return;
    this.#state = 'done';
    clearTimeout(this.#dialTimer);
    clearTimeout(this.#closeTimer);
    this.#stopTicker?.();
    this.#cfg.signal?.removeEventListener('abort', this.#onAbort);
    this.#settleReady(new ProviderError('closed', 'The Deepgram stream was closed before it opened'));
    this.#resolveFinished();
  }

  #settleReady(err?: unknown): void {
    if (this.#readySettled) return;
    this.#readySettled = true;
    if (err === undefined) this.#resolveReady();
    else this.#rejectReady(err);
  }

  #emit(event: SttEvent): void {
    if (this.#state !== 'done') this.#cfg.onEvent(event);
  }

  #badResponse(message: string): void {
    this.#emit({ type: 'error', error: new ProviderError('bad-response', message), fatal: false });
  }

  #sendText(text: string): void {
    this.#ws?.send(text);
    this.#sentSinceTick = true;
  }

  #ms(seconds: number): number {
    return Math.round(this.#offsetMs + seconds * 1000);
  }

  #buffer(audio: Int16Array): void {
    const ring = this.#ring;
    const capacity = ring.length;
    if (audio.length >= capacity) {
      this.stats.droppedSamples += this.#ringLength + audio.length - capacity;
      ring.set(audio.subarray(audio.length - capacity));
      this.#ringStart = 0;
      this.#ringLength = capacity;
      return;
    }
    const overflow = this.#ringLength + audio.length - capacity;
    if (overflow > 0) {
      this.#ringStart = (this.#ringStart + overflow) % capacity;
      this.#ringLength -= overflow;
      this.stats.droppedSamples += overflow;
    }
    const end = (this.#ringStart + this.#ringLength) % capacity;
    const first = Math.min(audio.length, capacity - end);
    ring.set(audio.subarray(0, first), end);
    if (first < audio.length) ring.set(audio.subarray(first), 0);
    this.#ringLength += audio.length;
  }

  #drainBuffer(ws: WebSocket): void {
    if (this.#ringLength === 0) return;
    const capacity = this.#ring.length;
    const firstEnd = Math.min(capacity, this.#ringStart + this.#ringLength);
    const head = this.#ring.subarray(this.#ringStart, firstEnd);
    const tail = this.#ring.subarray(0, this.#ringLength - head.length);
    for (const part of [head, tail]) {
      if (part.length === 0) continue;
      ws.send(asBuffer(part));
      this.#connSamples += part.length;
      this.stats.sentSamples += part.length;
    }
    this.#sentSinceTick = true;
    this.#ringStart = 0;
    this.#ringLength = 0;
  }
}

/** The error for an upgrade Deepgram answered with an HTTP status instead of 101. */
async function refusalError(res: IncomingMessage): Promise<ProviderError> {
  const status = res.statusCode ?? 0;
  const requestId = typeof res.headers['dg-request-id'] === 'string' ? res.headers['dg-request-id'] : undefined;
  let detail = typeof res.headers['dg-error'] === 'string' ? res.headers['dg-error'] : '';
  if (!detail) detail = errMsgOf(await readCapped(res, 4096));
  const details: Record<string, unknown> = { status, requestId };
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return new ProviderError('unauthorized', `Deepgram rejected the API key (HTTP ${status})${suffix}`, details);
  }
  if (status === 429) {
    const retryAfter = Number(res.headers['retry-after']);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) details.retryAfterSec = retryAfter;
    return new ProviderError('rate-limited', `Deepgram is rate limiting streams (HTTP 429)${suffix}`, details);
  }
  if (status >= 500) return new ProviderError('server', `Deepgram failed to open the stream (HTTP ${status})${suffix}`, details);
  if (status === 400) return new ProviderError('invalid-input', `Deepgram refused the stream parameters (HTTP 400)${suffix}`, details);
  return new ProviderError('bad-response', `Deepgram answered the upgrade with HTTP ${status}${suffix}`, details);
}

function readCapped(res: IncomingMessage, cap: number): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (body.length < cap) body += chunk.slice(0, cap - body.length);
    });
    res.on('end', () => resolve(body));
    res.on('error', () => resolve(body));
    res.on('close', () => resolve(body));
  });
}

/** `err_msg` of Deepgram's JSON error body, if that is what the body is. */
function errMsgOf(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    const msg = typeof parsed === 'object' && parsed !== null ? (parsed as { err_msg?: unknown }).err_msg : undefined;
    return typeof msg === 'string' ? msg : '';
  } catch {
    return '';
  }
}

/** The error for a stream that closed without our CloseStream. */
function dropError(code: number, reason: string): ProviderError {
  const details = { closeCode: code, reason };
  const why = reason ? `${code} ${reason}` : String(code);
  if (code === CLOSE_UNDECODABLE) {
    return new ProviderError('invalid-input', `Deepgram could not decode the audio (${why})`, details);
  }
  return new ProviderError('connection-lost', `The Deepgram stream dropped (${why})`, details);
}
