// Deepgram live transcription (Nova models) over the /v1/listen WebSocket, without the SDK.
// Wire protocol followed (see test/fakes/deepgram.ts for the full list of pages):
//   https://developers.deepgram.com/reference/speech-to-text/listen-streaming (query, messages)
//   https://developers.deepgram.com/docs/audio-keep-alive, /docs/finalize, /docs/close-stream
//   https://developers.deepgram.com/docs/stt-troubleshooting-websocket-data-and-net-errors
// Audio goes out as binary frames of raw PCM16LE (encoding=linear16) at the call's rate.
import { ProviderError } from '../errors.js';
import type { StreamingSpeechToText, SttStream, SttStreamOptions } from '../types.js';
import { DeepgramStream } from './deepgram-stream.js';

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
      secrets: [o.apiKey],
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
