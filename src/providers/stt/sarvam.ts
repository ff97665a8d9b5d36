// Sarvam AI streaming speech-to-text (Saaras / Saarika) over the /speech-to-text/ws WebSocket, without the SDK.
// Docs followed:
// - https://docs.sarvam.ai/api-reference/legacy/speech-to-text/transcribe/ws (and its AsyncAPI spec; the page also
//   served as /api/speech-to-text/transcribe/ws): the `Api-Subscription-Key` header; query `language-code` (hi-IN,
//   bn-IN, gu-IN, kn-IN, ml-IN, mr-IN, od-IN, pa-IN, ta-IN, te-IN, en-IN, `unknown` = detect; saaras:v3 adds as, ur,
//   ne, kok, ks, sd, sa, sat, mni, brx, mai, doi), `model` (saaras:v3 default, saarika:v2.5; newer copies of the page
//   make saaras:v4 the default with the same languages and modes, so it is accepted too), `mode` (saaras),
//   `sample_rate` (16000 or 8000 only; 8 kHz only via this parameter), `input_audio_codec`, `high_vad_sensitivity`,
//   `vad_signals`, `flush_signal`; the messages are in sarvam-messages.ts;
// - .../api-guides-tutorials/speech-to-text/streaming-api (modes transcribe/translate/verbatim/translit/codemix;
//   .wav and raw PCM only; flush "forces immediate processing without waiting for silence detection");
// - .../speech-to-text/which-api-to-use and .../realtime-streaming (the legacy endpoint sends no partial
//   transcripts; the newer /speech-to-text-realtime/ws that does needs beta access);
// - https://docs.sarvam.ai/api/errors-troubleshooting (403 for a bad key, 429 rate limit / quota).
// Ambiguities, and what this adapter does:
// - Endpoint: the generally available /speech-to-text/ws, not the beta realtime one, so any key works. It sends one
//   final transcript per utterance (Sarvam's own VAD ends it) and START_SPEECH/END_SPEECH signals; so turn-taking
//   gets finals (speechFinal) and speech-started/utterance-end events, never interim text.
// - Rates: 8 and 16 kHz calls are sent as they are (both documented); any other rate is resampled in-process to
//   16 kHz with the streaming resampler.
// - No end-of-stream message is documented: close() sends `flush` and closes once the answering transcript came
//   (bounded by closeTimeoutMs); nothing is flushed when everything sent was already transcribed.
// - `language_code` on a transcript is reported as the detected language (with `language-code=unknown` it is what
//   Sarvam heard); the placeholder `unknown` is dropped.
import { ProviderError } from '../errors.js';
import { SAARAS_V3_EXTRA_LANGUAGES, SARVAM_DEFAULT_BASE_URL, SARVAM_KEY_HEADER, SARVAM_LANGUAGES, requireSarvamLanguage, sarvamUrl } from '../sarvam-api.js';
import type { StreamingSpeechToText, SttStreamOptions } from '../types.js';
import { SarvamStream } from './sarvam-stream.js';

export const SARVAM_DEFAULT_STT_MODEL = 'saaras:v3';
export type SarvamSttMode = 'transcribe' | 'translate' | 'verbatim' | 'translit' | 'codemix';
/** Rates the socket takes; others are resampled to the first. */
const SEND_RATES = [16000, 8000];

export interface SarvamSttOptions {
  apiKey: string;
  /** API root, default https://api.sarvam.ai (https is mapped to wss). */
  baseUrl?: string;
  /** saaras:v3 (default), saaras:v4 or saarika:v2.5. */
  model?: string;
  /** saaras:v3 output: transcribe (default), translate (to English), verbatim, translit, codemix. */
  mode?: SarvamSttMode;
  /**
   * Language to listen for when the stream's options name none; `unknown` lets Sarvam detect it. Default: the
   * stream's language, else `unknown`.
   */
  language?: string;
  highVadSensitivity?: boolean;
  /** The upgrade must complete within this (default 5000 ms), else `timeout`. */
  connectTimeoutMs?: number;
  /** After the closing flush, wait this long (default 3000 ms) for the last transcript, and as long for the close. */
  closeTimeoutMs?: number;
  /** Audio kept while connecting, and socket backlog allowed, in ms (default 2000); oldest dropped beyond. */
  maxBufferedMs?: number;
}

export class SarvamSpeechToText implements StreamingSpeechToText {
  readonly name = 'sarvam';
  readonly #o: SarvamSttOptions;
  readonly #wsUrl: string;
  readonly #model: string;

  constructor(options: SarvamSttOptions) {
    if (!options.apiKey) throw new ProviderError('unauthorized', 'Sarvam API key is missing');
    this.#o = options;
    this.#model = options.model ?? SARVAM_DEFAULT_STT_MODEL;
    if (options.mode && !this.#model.startsWith('saaras')) throw new ProviderError('invalid-input', `Sarvam: mode needs a saaras model, not ${this.#model}`);
    this.#wsUrl = sarvamUrl(options.baseUrl ?? SARVAM_DEFAULT_BASE_URL, '/speech-to-text/ws', 'ws');
  }

  /** Opens a stream and waits until Sarvam accepted it; rejects with a ProviderError if it refused. */
  async open(options: SttStreamOptions): Promise<SarvamStream> {
    const stream = this.#start(options, false);
    await stream.ready;
    return stream;
  }

  /** The stream at once, still connecting: writes are buffered (bounded); a failure to open is a fatal event. */
  connect(options: SttStreamOptions): SarvamStream {
    return this.#start(options, true);
  }

  /** The rate audio goes out at for a call at `callRate`. */
  sendRate(callRate: number): number {
    return SEND_RATES.includes(callRate) ? callRate : SEND_RATES[0]!;
  }

  /** The URL a stream with these options connects to (no secrets in it). */
  streamUrl(options: Pick<SttStreamOptions, 'sampleRate' | 'language'>): string {
    const o = this.#o;
    const q = new URLSearchParams({
      'language-code': this.#languageCode(o.language ?? options.language),
      model: this.#model,
      sample_rate: String(this.sendRate(options.sampleRate)),
      input_audio_codec: 'pcm_s16le',
      vad_signals: 'true',
      flush_signal: 'true',
    });
    if (o.mode) q.set('mode', o.mode);
    if (o.highVadSensitivity) q.set('high_vad_sensitivity', 'true');
    return `${this.#wsUrl}?${q}`;
  }

  #languageCode(tag: string | undefined): string {
    if (tag === undefined || tag === 'unknown') return 'unknown';
    const supported = this.#model.startsWith('saaras') ? [...SARVAM_LANGUAGES, ...SAARAS_V3_EXTRA_LANGUAGES] : SARVAM_LANGUAGES;
    return requireSarvamLanguage('Sarvam', tag, supported);
  }

  #start(options: SttStreamOptions, reportOpenFailure: boolean): SarvamStream {
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) {
      throw new ProviderError('invalid-input', `Invalid sample rate ${options.sampleRate}`);
    }
    const o = this.#o;
    return new SarvamStream({
      url: this.streamUrl(options),
      headers: { [SARVAM_KEY_HEADER]: o.apiKey },
      secrets: [o.apiKey],
      sampleRate: options.sampleRate,
      sendRate: this.sendRate(options.sampleRate),
      onEvent: options.onEvent,
      signal: options.signal,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      closeTimeoutMs: o.closeTimeoutMs ?? 3000,
      maxBufferedMs: o.maxBufferedMs ?? 2000,
      reportOpenFailure,
    });
  }
}
