// A thin client for the OpenAI Realtime API over `ws`: connect (with the failures mapped to ProviderError codes),
// send typed client events, receive validated server events.
// Docs followed: developers.openai.com/api/docs/guides/realtime-websocket (URL `wss://api.openai.com/v1/realtime?model=`,
// `Authorization: Bearer`, `OpenAI-Beta: realtime=v1` only for the beta shape), .../guides/realtime-conversations
// (session lifecycle, input audio buffer, function calling, truncation), the Realtime client/server event reference.
import WebSocket from 'ws';
import { maskUrl } from '../../observability/redact.js';
import { ProviderError, abortReason } from '../errors.js';
import { closeError, redactSecrets, upgradeRefusal } from '../refusal.js';
import { MAX_REALTIME_EVENT_BYTES, parseServerEvent, type RealtimeClientEvent, type RealtimeInputItem, type RealtimeServerEvent } from './realtime-events.js';
import { sessionPayload, type RealtimeProtocol, type RealtimeSessionConfig } from './realtime-session.js';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_REALTIME_MODEL = 'gpt-realtime';

export interface RealtimeClientOptions {
  apiKey: string;
  /** REST base (`OPENAI_BASE_URL` style): https becomes wss, http becomes ws, `/realtime` is appended. */
  baseUrl?: string;
  model?: string;
  /** `beta` adds `OpenAI-Beta: realtime=v1` and speaks the flat session shape. Default `ga`. */
  protocol?: RealtimeProtocol;
  /** Upgrade plus `session.created`. Default 10 s. */
  connectTimeoutMs?: number;
  /** Aborting stops connecting at once, or closes the open connection. */
  signal?: AbortSignal;
}

export interface RealtimeCloseInfo {
  code: number;
  reason: string;
  /** True when we closed it (close() or the abort signal). */
  requested: boolean;
  /** Why, when we did not close it: `connection-lost` (details.providerCode `session_expired` when the session hit its limit). */
  error?: ProviderError;
}

export interface RealtimeHandlers {
  /** Every validated server event, in order. Beta event names arrive under their GA names. */
  onEvent(event: RealtimeServerEvent): void;
  /** A message that is not a valid event (`bad-response`); the connection stays up. */
  onInvalid?(error: ProviderError): void;
  onClose?(info: RealtimeCloseInfo): void;
}

/** `wss://host/v1/realtime?model=...` from a REST base URL. */
export function realtimeUrl(baseUrl: string, model: string): string {
  const u = new URL(`${baseUrl.replace(/\/+$/, '')}/realtime`);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw new ProviderError('invalid-input', `unsupported base URL scheme ${u.protocol}`);
  u.searchParams.set('model', model);
  return u.toString();
}

/** Maps an `error` event that arrives instead of `session.created`. */
function sessionError(code: string | null | undefined, message: string | undefined): ProviderError {
  const text = `realtime session refused: ${code ?? 'error'}${message ? ` (${redactSecrets(message, [], 200)})` : ''}`;
  if (code === 'invalid_api_key' || code === 'unauthorized' || code === 'insufficient_quota') return new ProviderError('unauthorized', text, { providerCode: code });
  if (code === 'rate_limit_exceeded') return new ProviderError('rate-limited', text, { providerCode: code });
  return new ProviderError('server', text, { providerCode: code ?? undefined });
}

/** Opens a Realtime session; resolves once the server sent `session.created`. */
export function connectRealtime(options: RealtimeClientOptions, handlers: RealtimeHandlers): Promise<RealtimeConnection> {
  const protocol = options.protocol ?? 'ga';
  const url = realtimeUrl(options.baseUrl ?? DEFAULT_OPENAI_BASE_URL, options.model ?? DEFAULT_REALTIME_MODEL);
  const signal = options.signal;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const headers: Record<string, string> = { Authorization: `Bearer ${options.apiKey}` };
  if (protocol === 'beta') headers['OpenAI-Beta'] = 'realtime=v1';
  const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: options.connectTimeoutMs ?? 10_000, maxPayload: MAX_REALTIME_EVENT_BYTES });
  const conn = new RealtimeConnection(ws, protocol, maskUrl(url), handlers);

  return new Promise<RealtimeConnection>((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) {
        conn.attachSignal(signal);
        resolve(conn);
        return;
      }
      conn.abandon();
      reject(err);
    };
    const onAbort = (): void => finish(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => finish(new ProviderError('timeout', `no realtime session within ${options.connectTimeoutMs ?? 10_000} ms (${conn.url})`)), options.connectTimeoutMs ?? 10_000);

    ws.on('unexpected-response', (_req, res) => {
      void upgradeRefusal(res, { provider: 'realtime', secrets: [options.apiKey], requestIdHeader: 'x-request-id' }).then(finish);
    });
    ws.on('error', (err) => {
      if (!settled) finish(new ProviderError('connection-lost', `realtime connection failed (${conn.url}): ${err.message}`));
    });
    ws.on('close', () => {
      if (!settled) finish(new ProviderError('connection-lost', `realtime socket closed before the session started (${conn.url})`));
    });
    conn.onHandshakeEvent = (event) => {
      if (event.type === 'session.created') finish(undefined);
      else if (event.type === 'error') finish(sessionError(event.error.code, event.error.message));
    };
  });
}

/** One open Realtime session. Sending on a closed connection is a no-op that returns false. */
export class RealtimeConnection {
  readonly openedAt = performance.now();
  /** Server events received, and how many were not understood or not handled. */
  readonly stats = { events: 0, invalid: 0, ignored: 0, audioAppends: 0 };
  /** @internal set by connectRealtime until the session is up. */
  onHandshakeEvent: ((event: RealtimeServerEvent) => void) | undefined;
  private requested = false;
  private lastErrorCode: string | undefined;
  /** ws refused a frame over MAX_REALTIME_EVENT_BYTES (it then closes with 1009). */
  private tooBig = false;
  private closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: RealtimeProtocol,
    /** Masked: safe to log. */
    readonly url: string,
    private readonly handlers: RealtimeHandlers,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve();
        this.onClosed(code, reason.toString());
      });
    });
    ws.on('error', (err) => {
      // Reported through 'close' (which always follows); without a listener ws would throw.
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.tooBig = true;
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(event: RealtimeClientEvent): boolean {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(event));
    return true;
  }

  updateSession(config: RealtimeSessionConfig): boolean {
    return this.send({ type: 'session.update', session: sessionPayload(config, this.protocol) });
  }

  /** Appends encoded audio (in the session's input format) to the input buffer. */
  appendAudio(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    // Built by hand: this runs for every caller frame, and base64 needs no JSON escaping.
    this.ws.send(`{"type":"input_audio_buffer.append","audio":"${b64}"}`);
    this.stats.audioAppends++;
    return true;
  }

  commitAudio(): boolean {
    return this.send({ type: 'input_audio_buffer.commit' });
  }

  clearAudio(): boolean {
    return this.send({ type: 'input_audio_buffer.clear' });
  }

  createItem(item: RealtimeInputItem, previousItemId?: string): boolean {
    return this.send({ type: 'conversation.item.create', item, ...(previousItemId ? { previous_item_id: previousItemId } : {}) });
  }

  createResponse(response?: Record<string, unknown>): boolean {
    return this.send(response ? { type: 'response.create', response } : { type: 'response.create' });
  }

  cancelResponse(responseId?: string): boolean {
    return this.send(responseId ? { type: 'response.cancel', response_id: responseId } : { type: 'response.cancel' });
  }

  /** Tells the server how much of an assistant item's audio was heard, so its context drops the rest. */
  truncate(itemId: string, contentIndex: number, audioEndMs: number): boolean {
    return this.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: contentIndex, audio_end_ms: Math.max(0, Math.floor(audioEndMs)) });
  }

  /** Closes gracefully; resolves when the socket is closed (terminated if the server does not answer in 2 s). */
  async close(): Promise<void> {
    this.requested = true;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(timer);
  }

  /** @internal closes a connection whose handshake failed, without reporting it. */
  abandon(): void {
    this.requested = true;
    this.ws.terminate();
  }

  /** @internal */
  attachSignal(signal: AbortSignal | undefined): void {
    this.onHandshakeEvent = undefined;
    if (!signal) return;
    const onAbort = (): void => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    void this.closed.then(() => signal.removeEventListener('abort', onAbort));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.invalid('binary frame');
      return;
    }
    const parsed = parseServerEvent(data.toString('utf8'));
    if (parsed.kind === 'invalid') {
      this.invalid(parsed.reason);
      return;
    }
    if (parsed.kind === 'ignored') {
      this.stats.ignored++;
      return;
    }
    this.stats.events++;
    const event = parsed.event;
    if (event.type === 'error') this.lastErrorCode = event.error.code ?? undefined;
    if (this.onHandshakeEvent) {
      this.onHandshakeEvent(event);
      if (this.requested) return;
    }
    this.handlers.onEvent(event);
  }

  private invalid(reason: string): void {
    this.stats.invalid++;
    this.handlers.onInvalid?.(new ProviderError('bad-response', `realtime sent an unusable message: ${reason}`));
  }

  private onClosed(code: number, reason: string): void {
    if (this.requested) {
      this.handlers.onClose?.({ code, reason, requested: true });
      return;
    }
    const providerCode = this.lastErrorCode ? { providerCode: this.lastErrorCode } : {};
    const error =
      this.lastErrorCode === 'session_expired'
        ? new ProviderError('connection-lost', 'realtime session hit its maximum duration', { closeCode: code, ...providerCode })
        : this.tooBig
          ? new ProviderError('bad-response', `realtime sent an event larger than ${MAX_REALTIME_EVENT_BYTES} bytes`, { closeCode: code, limit: 'size' })
          : closeError('realtime', code, reason, providerCode);
    this.handlers.onClose?.({ code, reason, requested: false, error });
  }
}
