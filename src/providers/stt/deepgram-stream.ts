// One Deepgram live stream: the socket (and one transparent reconnect), audio out as binary PCM16 frames with a
// bounded buffer while connecting, KeepAlive while writes pause, Finalize, and the documented ending: CloseStream,
// after which Deepgram sends its last results and closes (developers.deepgram.com/docs/close-stream). An abort
// (the call hung up) ends it the same way, silently; only a socket that never answers is dropped.
import WebSocket from 'ws';
import { asBuffer } from '../../audio/pcm.js';
import { ProviderError, abortReason, isRetryable } from '../errors.js';
import { closeError, upgradeRefusal } from '../refusal.js';
import type { SttEvent } from '../types.js';
import type { DeepgramStreamStats, DeepgramSttStream, Ticker } from './deepgram.js';
import { MAX_DEEPGRAM_MESSAGE_BYTES, parseDeepgramMessage } from './deepgram-messages.js';
import { SampleRing } from './sample-ring.js';

export interface StreamConfig {
  url: string;
  headers: Record<string, string>;
  /** Scrubbed from refusal messages. */
  secrets: readonly string[];
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

const BYTES_PER_SAMPLE = 2;
const KEEP_ALIVE = JSON.stringify({ type: 'KeepAlive' });
const FINALIZE = JSON.stringify({ type: 'Finalize' });
const CLOSE_STREAM = JSON.stringify({ type: 'CloseStream' });

type State = 'connecting' | 'open' | 'closing' | 'done';

export class DeepgramStream implements DeepgramSttStream {
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
  /** Aborted: nobody listens any more, but the stream still ends with CloseStream. */
  #silenced = false;
  /** ws refused a message over MAX_DEEPGRAM_MESSAGE_BYTES (it then closes with 1009). */
  #tooBig = false;
  #dialTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #stopTicker: (() => void) | undefined;
  #sentSinceTick = false;
  // Samples sent on the current connection, and the audio time (ms) earlier connections covered:
  // Deepgram's clock restarts at 0 on a new connection, our event times must not.
  #connSamples = 0;
  #offsetMs = 0;
  /** Audio written while (re)connecting, sent in order once the socket opens. */
  readonly #pending: SampleRing;
  readonly #maxBacklogBytes: number;
  readonly #onAbort = (): void => this.#abort();

  constructor(cfg: StreamConfig) {
    this.#cfg = cfg;
    const capacity = Math.max(1, Math.ceil((cfg.maxBufferedMs * cfg.sampleRate) / 1000));
    this.#pending = new SampleRing(capacity);
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
      this.stats.droppedSamples += this.#pending.push(audio);
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
    const ws = new WebSocket(this.#cfg.url, { headers: this.#cfg.headers, perMessageDeflate: false, maxPayload: MAX_DEEPGRAM_MESSAGE_BYTES });
    this.#ws = ws;
    this.#dialTimer = setTimeout(() => {
      this.#dialFailed(ws, new ProviderError('timeout', `Deepgram did not accept the stream within ${this.#cfg.connectTimeoutMs} ms`));
    }, this.#cfg.connectTimeoutMs);
    ws.on('upgrade', (res) => {
      const id = res.headers['dg-request-id'];
      if (typeof id === 'string') this.stats.requestId = id;
    });
    ws.on('unexpected-response', (req, res) => {
      const dgError = res.headers['dg-error'];
      void upgradeRefusal(res, {
        provider: 'Deepgram',
        secrets: this.#cfg.secrets,
        headerMessage: typeof dgError === 'string' ? dgError : undefined,
        requestIdHeader: 'dg-request-id',
      }).then((err) => {
        req.destroy();
        this.#dialFailed(ws, err);
      });
    });
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#tooBig = true;
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
    this.#drainPending(ws);
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
    if (isBinary) return this.#badResponse('Deepgram sent a binary message');
    const m = parseDeepgramMessage(data.toString());
    switch (m.type) {
      case 'results':
        // Empty interim results are just silence; an empty final still matters when it marks the
        // end of speech or answers a Finalize.
        if (!m.text && !(m.final && (m.speechFinal || m.fromFinalize))) return;
        this.#emit({ type: 'transcript', text: m.text, final: m.final, speechFinal: m.speechFinal, confidence: m.confidence, startMs: this.#ms(m.start), endMs: this.#ms(m.end) });
        return;
      case 'speech-started':
        this.#emit({ type: 'speech-started', atMs: this.#ms(m.at) });
        return;
      case 'utterance-end':
        this.#emit({ type: 'utterance-end', atMs: this.#ms(m.at) });
        return;
      case 'metadata':
        if (m.requestId) this.stats.requestId = m.requestId;
        return;
      case 'invalid':
        return this.#badResponse(m.reason);
      case 'ignored':
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
    const err = this.#tooBig
      ? new ProviderError('bad-response', `Deepgram sent a message larger than ${MAX_DEEPGRAM_MESSAGE_BYTES} bytes`, { closeCode: code, limit: 'size' })
      : code === 1008
        ? new ProviderError('invalid-input', `Deepgram could not decode the audio (${code}${reason ? ` ${reason}` : ''})`, { closeCode: code, reason })
        : closeError('Deepgram', code, reason);
    if (this.#cfg.reconnect && this.stats.reconnects === 0 && isRetryable(err)) {
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

  /** CloseStream: Deepgram flushes its last results and closes; a socket that does not within the bound is dropped. */
  #beginClosing(): void {
    this.#state = 'closing';
    this.#stopTicker?.();
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
    this.#silenced = true;
    this.#settleReady(abortReason(this.#cfg.signal!));
    if (this.#state === 'open') return this.#beginClosing();
    if (this.#state === 'closing') return;
    // Still connecting: nothing was transcribed that CloseStream could flush.
    const ws = this.#ws;
    this.#ws = null;
    ws?.terminate();
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
    if (this.#state !== 'done' && !this.#silenced) this.#cfg.onEvent(event);
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

  #drainPending(ws: WebSocket): void {
    if (this.#pending.length === 0) return;
    for (const part of this.#pending.drain()) {
      ws.send(asBuffer(part));
      this.#connSamples += part.length;
      this.stats.sentSamples += part.length;
    }
    this.#sentSinceTick = true;
  }
}
