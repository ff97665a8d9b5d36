// Sarvam AI text-to-speech (Bulbul) over HTTP streaming: POST {baseUrl}/text-to-speech/stream with a JSON body,
// raw PCM16 (`output_audio_codec: linear16`) streamed back and yielded chunk by chunk, converted to the call's rate
// by one streaming resampler per request when the service cannot speak at that rate itself.
//
// Docs followed:
// - https://docs.sarvam.ai/api-reference-docs/text-to-speech/convert-stream (POST /text-to-speech/stream, a binary
//   audio stream in the requested codec) and .../api-guides-tutorials/text-to-speech/streaming-api/http-stream
//   (at most 3500 characters a request; the first chunk is sent as soon as it is ready);
// - .../text-to-speech/which-api-to-use (REST vs HTTP stream vs WebSocket);
// - .../text-to-speech/how-to/set-the-sample-rate (`speech_sample_rate` 8000/16000/22050/24000 when streaming;
//   32/44.1/48 kHz are REST-only) and .../how-to/set-audio-format-for-output (`output_audio_codec`: linear16 is
//   uncompressed PCM); the voice-cloning stream page (streaming codecs mp3, wav, linear16, mulaw, alaw);
// - .../text-to-speech/stream (model notes: bulbul:v3 pace 0.5-2.0, temperature, no pitch/loudness, 24 kHz
//   native; bulbul:v2 pace 0.3-3.0, pitch, loudness, 22.05 kHz native); speakers: the bulbul:v3 voice list
//   (default `shubh`) on the Bulbul API reference page;
// - https://docs.sarvam.ai/api/errors-troubleshooting (see sarvam-api.ts).
// Ambiguities, and what this adapter does:
// - Why HTTP streaming and not the WebSocket: the cascade already streams sentence by sentence (one `stream()` per
//   sentence, as for the other cloud voices), which is exactly one HTTP stream each; the WebSocket's advantage
//   (many utterances on one warm connection) would need a connection pool the other voices do not have.
// - The docs do not say whether linear16 arrives bare or inside a WAV header, nor its content type: a RIFF header
//   is stripped if one arrives (its rate wins), and `audio/wav` is accepted as well as raw PCM types.
// - The field for the language is `target_language_code` (the REST and SDK examples); it is required, so a call
//   without a language gets the adapter's default language.
import { ProviderError } from '../errors.js';
import { SARVAM_DEFAULT_BASE_URL, SARVAM_KEY_HEADER, SARVAM_LANGUAGES, requireSarvamLanguage, sarvamError, sarvamUrl } from '../sarvam-api.js';
import type { SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../types.js';
import { checkRate, collectSamples, pcmAtRate, resolveVoice, streamHttpAudio } from './http-audio.js';

export const SARVAM_DEFAULT_TTS_MODEL = 'bulbul:v3';
export const SARVAM_DEFAULT_SPEAKER = 'shubh';
/** Longest text one HTTP stream takes. */
export const SARVAM_STREAM_MAX_CHARS = 3500;
/** Rates the service streams at; another call rate gets the next one up (or 24 kHz), resampled here. */
export const SARVAM_STREAM_RATES = [8000, 16000, 22050, 24000] as const;

/** pace range by model family (bulbul:v2 is wider). */
function paceRange(model: string): [number, number] {
  return model.startsWith('bulbul:v2') ? [0.3, 3] : [0.5, 2];
}

export interface SarvamTtsOptions {
  apiKey: string;
  /** API root, default https://api.sarvam.ai (the wiring reads SARVAM_BASE_URL; ws(s) is mapped to http(s)). */
  baseUrl?: string;
  /** Default bulbul:v3. */
  model?: string;
  /** Speakers this deployment may use; the first is the default. Default: shubh. */
  speakers?: readonly string[];
  /** Sarvam language code (or BCP-47 tag) used when a request names no language. Default hi-IN. */
  language?: string;
  /** Speaking rate (bulbul:v3 0.5-2, bulbul:v2 0.3-3); the service's default (1) when absent. */
  pace?: number;
  /** bulbul:v3 sampling temperature (0.01-1). */
  temperature?: number;
  /** bulbul:v2: -0.75..0.75 and 0.3..3 (v3 refuses them). */
  pitch?: number;
  loudness?: number;
  /** Text normalisation (numbers, abbreviations) before synthesis; v3 always does it. */
  enablePreprocessing?: boolean;
  /** From sending the request to the first audio byte. Default 10 s. */
  firstByteTimeoutMs?: number;
  /** Longest wait for the next chunk once audio flows. Default 10 s. */
  idleTimeoutMs?: number;
  /** Provider name in errors and `name`. Default `sarvam`. */
  name?: string;
}

export class SarvamTextToSpeech implements TextToSpeech {
  readonly name: string;
  readonly #o: SarvamTtsOptions;
  readonly #url: string;
  readonly #model: string;
  readonly #language: string;
  readonly #voices: readonly VoiceInfo[];
  readonly #firstByteTimeoutMs: number;
  readonly #idleTimeoutMs: number;

  constructor(options: SarvamTtsOptions) {
    this.name = options.name ?? 'sarvam';
    if (!options.apiKey) throw new ProviderError('unauthorized', `${this.name}: no API key configured`);
    this.#o = options;
    this.#url = sarvamUrl(options.baseUrl ?? SARVAM_DEFAULT_BASE_URL, '/text-to-speech/stream', 'http');
    this.#model = options.model ?? SARVAM_DEFAULT_TTS_MODEL;
    this.#language = requireSarvamLanguage(this.name, options.language ?? 'hi-IN', SARVAM_LANGUAGES);
    const speakers = options.speakers ?? [SARVAM_DEFAULT_SPEAKER];
    if (speakers.length === 0) throw new ProviderError('unknown-voice', `${this.name}: configure at least one speaker`);
    const [low, high] = paceRange(this.#model);
    if (options.pace !== undefined && !(options.pace >= low && options.pace <= high)) {
      throw new ProviderError('invalid-input', `${this.name}: pace ${options.pace} is outside ${low}..${high} for ${this.#model}`);
    }
    // Every Bulbul speaker speaks every Bulbul language; the default language comes first.
    const languages = [this.#language, ...SARVAM_LANGUAGES.filter((l) => l !== this.#language)];
    this.#voices = speakers.map((id) => ({ id, languages, nativeSampleRate: 24000, description: `Sarvam ${this.#model} speaker ${id}` }));
    this.#firstByteTimeoutMs = options.firstByteTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  }

  voices(): readonly VoiceInfo[] {
    return this.#voices;
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesizedAudio> {
    return { samples: await collectSamples(this.stream(text, options)), sampleRate: options.sampleRate };
  }

  async *stream(text: string, options: SynthesisOptions): AsyncGenerator<Int16Array> {
    const { speaker, language } = this.#check(text, options);
    const rate = streamRate(options.sampleRate);
    const o = this.#o;
    const body: Record<string, unknown> = {
      text: text.trim(),
      target_language_code: language,
      speaker,
      model: this.#model,
      speech_sample_rate: rate,
      output_audio_codec: 'linear16',
    };
    if (o.pace !== undefined) body.pace = o.pace;
    if (o.temperature !== undefined) body.temperature = o.temperature;
    if (o.pitch !== undefined) body.pitch = o.pitch;
    if (o.loudness !== undefined) body.loudness = o.loudness;
    if (o.enablePreprocessing !== undefined) body.enable_preprocessing = o.enablePreprocessing;
    const bytes = streamHttpAudio({
      name: this.name,
      url: this.#url,
      headers: { [SARVAM_KEY_HEADER]: o.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
      firstByteTimeoutMs: this.#firstByteTimeoutMs,
      idleTimeoutMs: this.#idleTimeoutMs,
      apiKey: o.apiKey,
      parseError: sarvamError,
      acceptWav: true,
    });
    yield* pcmAtRate(bytes, rate, options.sampleRate, { wavHeader: true });
  }

  #check(text: string, options: SynthesisOptions): { speaker: string; language: string } {
    if (typeof text !== 'string' || text.trim() === '') throw new ProviderError('invalid-input', `${this.name}: text is empty`);
    const length = text.trim().length;
    if (length > SARVAM_STREAM_MAX_CHARS) throw new ProviderError('invalid-input', `${this.name}: text is ${length} chars, the limit is ${SARVAM_STREAM_MAX_CHARS}`);
    checkRate(this.name, options.sampleRate);
    const language = options.language ? requireSarvamLanguage(this.name, options.language, SARVAM_LANGUAGES) : this.#language;
    return { speaker: resolveVoice(this.name, this.#voices, options), language };
  }
}

export function createSarvamTts(options: SarvamTtsOptions): SarvamTextToSpeech {
  return new SarvamTextToSpeech(options);
}

/** The rate to ask for: the call's own when the service streams at it, else the next one up (24 kHz at most). */
export function streamRate(callRate: number): number {
  return SARVAM_STREAM_RATES.find((r) => r >= callRate) ?? 24000;
}
