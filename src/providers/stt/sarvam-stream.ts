// One Sarvam streaming-recognition socket: audio out as JSON audio messages at a rate Sarvam accepts (resampled
// in-process when the call's differs), bounded buffering while connecting, `flush` for finalize(), and the ending:
// Sarvam documents no end-of-stream message, so close() flushes, waits (bounded) for the transcript that answers,
// then closes the socket itself. An abort (the call hung up) ends it the same way, silently.
import WebSocket from 'ws';
import { createResampler, type Resampler } from '../../audio/resampler.js';
import { ProviderError, abortReason, type ProviderErrorCode } from '../errors.js';
import { closeError, redactSecrets, upgradeRefusal } from '../refusal.js';
import { sarvamError } from '../sarvam-api.js';
import type { SttEvent, SttStream } from '../types.js';
import { MAX_SARVAM_MESSAGE_BYTES, SARVAM_FLUSH, parseSarvamMessage, sarvamAudioMessage } from './sarvam-messages.js';
import { SampleRing } from './sample-ring.js';

export interface SarvamStreamConfig {
  url: string;
  headers: Record<string, string>;
  secrets: readonly string[];
  /** The call's rate (what `write` gets). */
  sampleRate: number;
  /** The rate sent to Sarvam (8000 or 16000). */
  sendRate: number;
  onEvent: (event: SttEvent) => void;
  signal: AbortSignal | undefined;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  maxBufferedMs: number;
  reportOpenFailure: boolean;
}

export interface SarvamStreamStats {
  /** Samples (at the send rate) handed to the socket. */
  sentSamples: number;
  /** Samples dropped because the connect buffer or the socket backlog was full. */
  droppedSamples: number;
  /** Transcripts received. */
  transcripts: number;
  /** `request_id` of the last transcript, for support tickets. */
  requestId?: string;
}

type State = 'connecting' | 'open' | 'closing' | 'done';

const BYTES_PER_SAMPLE = 2;
/** base64 and JSON make a message about 4/3 the PCM size. */
const WIRE_BYTES_PER_SAMPLE = (BYTES_PER_SAMPLE * 4) / 3;

export class SarvamStream implements SttStream {
  readonly ready: Promise<void>;
  readonly stats: SarvamStreamStats = { sentSamples: 0, droppedSamples: 0, transcripts: 0 };
  readonly #cfg: SarvamStreamConfig;
  readonly #resampler: Resampler | null;
  readonly #pending: SampleRing;
  readonly #maxBacklogBytes: number;
  #state: State = 'connecting';
  #ws: WebSocket | null = null;
  #everOpened = false;
  #readySettled = false;
  #resolveReady!: () => void;
  #rejectReady!: (reason: unknown) => void;
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;
  #closeRequested = false;
  #flushPending = false;
  /** Samples sent since the last transcript: when 0, closing needs no flush. */
  #unanswered = 0;
  #silenced = false;
  #tooBig = false;
  #dialTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  readonly #onAbort = (): void => this.#abort();

  constructor(cfg: SarvamStreamConfig) {
    this.#cfg = cfg;
    this.#resampler = cfg.sampleRate === cfg.sendRate ? null : createResampler(cfg.sampleRate, cfg.sendRate);
    const capacity = Math.max(1, Math.ceil((cfg.maxBufferedMs * cfg.sendRate) / 1000));
    this.#pending = new SampleRing(capacity);
    this.#maxBacklogBytes = capacity * WIRE_BYTES_PER_SAMPLE;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {});
    this.#finished = new Promise<void>((resolve) => (this.#resolveFinished = resolve));
    if (cfg.signal?.aborted) {
      this.#settleReady(abortReason(cfg.signal));
      this.#finish();
      return;
    }
    cfg.signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.#dial();
  }

  write(audio: Int16Array): void {
    if (audio.length === 0 || this.#state === 'closing' || this.#state === 'done') return;
    this.#push(this.#resampler ? this.#resampler.process(audio) : audio);
  }

  finalize(): void {
    if (this.#state === 'open') this.#ws!.send(SARVAM_FLUSH);
    else if (this.#state === 'connecting') this.#flushPending = true;
  }

  close(): Promise<void> {
    if (this.#state === 'open') this.#beginClosing();
    else if (this.#state === 'connecting') this.#closeRequested = true;
    return this.#finished;
  }

  #push(samples: Int16Array): void {
    if (samples.length === 0) return;
    if (this.#state === 'open') {
      const ws = this.#ws!;
      if (ws.bufferedAmount > this.#maxBacklogBytes) {
        this.stats.droppedSamples += samples.length;
        return;
      }
      this.#send(ws, samples);
    } else if (this.#state === 'connecting') {
      this.stats.droppedSamples += this.#pending.push(samples);
    }
  }

  #send(ws: WebSocket, samples: Int16Array): void {
    ws.send(sarvamAudioMessage(samples, this.#cfg.sendRate));
    this.stats.sentSamples += samples.length;
    this.#unanswered += samples.length;
  }

  #dial(): void {
    const ws = new WebSocket(this.#cfg.url, { headers: this.#cfg.headers, perMessageDeflate: false, maxPayload: MAX_SARVAM_MESSAGE_BYTES });
    this.#ws = ws;
    this.#dialTimer = setTimeout(() => {
      this.#dialFailed(ws, new ProviderError('timeout', `Sarvam did not accept the stream within ${this.#cfg.connectTimeoutMs} ms`));
    }, this.#cfg.connectTimeoutMs);
    ws.on('unexpected-response', (req, res) => {
      void upgradeRefusal(res, { provider: 'Sarvam', secrets: this.#cfg.secrets, reader: sarvamError }).then((err) => {
        req.destroy();
        this.#dialFailed(ws, err);
      });
    });
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#tooBig = true;
      if (this.#state === 'connecting') this.#dialFailed(ws, new ProviderError('connection-lost', `Could not reach Sarvam: ${redactSecrets(err.message, this.#cfg.secrets)}`));
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
    for (const part of this.#pending.drain()) this.#send(ws, part);
    if (this.#flushPending) {
      this.#flushPending = false;
      ws.send(SARVAM_FLUSH);
    }
    if (this.#closeRequested) this.#beginClosing();
  }

  #onMessage(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    if (ws !== this.#ws) return;
    if (isBinary) return this.#emit({ type: 'error', error: new ProviderError('bad-response', 'Sarvam sent a binary message'), fatal: false });
    const m = parseSarvamMessage(data.toString());
    const atMs = Math.round((this.stats.sentSamples * 1000) / this.#cfg.sendRate);
    switch (m.type) {
      case 'transcript':
        this.stats.transcripts++;
        if (m.requestId) this.stats.requestId = m.requestId;
        this.#unanswered = 0;
        // Each data message is the whole utterance (this endpoint sends no partials): final, and the end of speech.
        this.#emit({ type: 'transcript', text: m.text, final: true, speechFinal: true, language: m.language });
        if (this.#state === 'closing') this.#closeSocket();
        return;
      case 'speech-started':
        return this.#emit({ type: 'speech-started', atMs });
      case 'speech-ended':
        return this.#emit({ type: 'utterance-end', atMs });
      case 'error': {
        const err = new ProviderError(errorCode(m.message, m.code), `Sarvam reported an error: ${redactSecrets(m.message, this.#cfg.secrets)}`, m.code ? { providerCode: m.code } : undefined);
        this.#emit({ type: 'error', error: err, fatal: true });
        this.#ws = null;
        ws.terminate();
        return this.#finish();
      }
      case 'invalid':
        return this.#emit({ type: 'error', error: new ProviderError('bad-response', m.reason), fatal: false });
      case 'ignored':
        return;
    }
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    if (this.#state === 'connecting') {
      this.#dialFailed(ws, new ProviderError('connection-lost', `Sarvam closed the stream while connecting (${code})`));
      return;
    }
    this.#ws = null;
    if (this.#state === 'open') {
      const err = this.#tooBig
        ? new ProviderError('bad-response', `Sarvam sent a message larger than ${MAX_SARVAM_MESSAGE_BYTES} bytes`, { closeCode: code, limit: 'size' })
        : closeError('Sarvam', code, reason);
      this.#emit({ type: 'error', error: err, fatal: true });
    }
    this.#finish();
  }

  /** Sends what the resampler holds and a flush, then closes once the answer came (or the bound passed). */
  #beginClosing(): void {
    const ws = this.#ws!;
    const tail = this.#resampler?.flush();
    if (tail && tail.length > 0) this.#send(ws, tail);
    this.#state = 'closing';
    if (this.#unanswered === 0) return this.#closeSocket();
    ws.send(SARVAM_FLUSH);
    this.#closeTimer = setTimeout(() => this.#closeSocket(), this.#cfg.closeTimeoutMs);
  }

  /** A normal close; a server that does not complete the handshake soon is dropped. */
  #closeSocket(): void {
    clearTimeout(this.#closeTimer);
    const ws = this.#ws;
    if (!ws) return this.#finish();
    ws.close(1000);
    this.#closeTimer = setTimeout(() => {
      this.#ws = null;
      ws.terminate();
      this.#finish();
    }, this.#cfg.closeTimeoutMs);
  }

  #abort(): void {
    if (this.#state === 'done') return;
    this.#silenced = true;
    this.#settleReady(abortReason(this.#cfg.signal!));
    if (this.#state === 'open') return this.#beginClosing();
    if (this.#state === 'closing') return;
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
    this.#cfg.signal?.removeEventListener('abort', this.#onAbort);
    this.#settleReady(new ProviderError('closed', 'The Sarvam stream was closed before it opened'));
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
}

/** An error message's code: Sarvam's error codes (errors-troubleshooting page), else the words of the message. */
function errorCode(message: string, code: string | undefined): ProviderErrorCode {
  const said = `${code ?? ''} ${message}`;
  if (/invalid_api_key|unauthori[sz]ed|forbidden/i.test(said)) return 'unauthorized';
  if (/rate_limit|quota|too many/i.test(said)) return 'rate-limited';
  if (/invalid_request|unprocessable|invalid audio|unsupported/i.test(said)) return 'invalid-input';
  return 'server';
}
