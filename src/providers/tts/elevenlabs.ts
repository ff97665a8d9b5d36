// ElevenLabs text-to-speech over HTTP streaming: POST {baseUrl}/v1/text-to-speech/{voice_id}/stream.
// Audio is requested in the format that needs no resampling (pcm_8000/16000/24000 = raw PCM16LE at
// the call rate) and yielded as each network chunk arrives.
//
// Docs followed:
// - https://elevenlabs.io/docs/api-reference/text-to-speech/stream (path, `xi-api-key`, query
//   `output_format` / `optimize_streaming_latency` / `enable_logging`, body `text`, `model_id`,
//   `language_code`, `voice_settings`, `apply_text_normalization`), and the output_format enum of the
//   official elevenlabs-js client (StreamTextToSpeechRequestOutputFormat);
// - https://help.elevenlabs.io/hc/en-us/articles/19572237925521 (error bodies
//   `{"detail":{"status","message"}}`: invalid_api_key, voice_not_found, max_character_limit_exceeded);
// - https://help.elevenlabs.io/hc/en-us/articles/13298164480913 (characters per request by model).
import { ProviderError } from '../errors.js';
import { alawToPcm16, ulawToPcm16 } from '../../audio/g711.js';
import type { SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../types.js';
import { Pcm16Decoder, RateConverter, checkRate, collectSamples, resolveVoice, streamHttpAudio } from './http-audio.js';
import { commonErrorFields, type ErrorSummary } from '../refusal.js';

export const ELEVENLABS_DEFAULT_BASE_URL = 'https://api.elevenlabs.io';
export const ELEVENLABS_DEFAULT_MODEL = 'eleven_flash_v2_5';

/** Raw PCM16LE rates the stream endpoint offers (`pcm_<rate>`); 44.1 kHz needs the Pro tier. */
const PCM_RATES = [8000, 16000, 22050, 24000, 32000, 44100, 48000] as const;
const PREMIUM_PCM_RATE = 44100;
/** Characters per request by model (help centre article 13298164480913; eleven_v3: https://elevenlabs.io/docs/overview/models). */
const MODEL_TEXT_LIMITS: Record<string, number> = {
  eleven_flash_v2_5: 40_000,
  eleven_turbo_v2_5: 40_000,
  eleven_flash_v2: 30_000,
  eleven_turbo_v2: 30_000,
  eleven_multilingual_v2: 10_000,
  eleven_multilingual_v1: 10_000,
  eleven_monolingual_v1: 10_000,
  eleven_v3: 5_000,
};
/** Unknown models get the smallest documented limit; `maxTextChars` overrides. */
const FALLBACK_TEXT_LIMIT = 5_000;
/** Models that accept `language_code` (others reject the request when it is sent). */
const LANGUAGE_CODE_MODELS = new Set(['eleven_flash_v2_5', 'eleven_turbo_v2_5']);
/** Streamed without resampling for 8/16/24 kHz calls; informational. */
const NATIVE_RATE = 24000;

export interface ElevenLabsVoice {
  /** The ElevenLabs voice_id. */
  id: string;
  /** Languages this voice is meant for (picks the voice when a call asks for a language). */
  languages?: readonly string[];
  gender?: 'female' | 'male';
  description?: string;
}

export interface ElevenLabsVoiceSettings {
  stability?: number;
  similarity_boost?: number;
  style?: number;
  use_speaker_boost?: boolean;
  speed?: number;
}

export interface ElevenLabsTtsOptions {
  apiKey: string;
  /** Default https://api.elevenlabs.io (the wiring reads ELEVENLABS_BASE_URL). */
  baseUrl?: string;
  /** Voices this deployment may use (voice ids or descriptions); the first is the default. */
  voices: readonly (string | ElevenLabsVoice)[];
  /** Default eleven_flash_v2_5 (the lowest-latency multilingual model). */
  modelId?: string;
  voiceSettings?: ElevenLabsVoiceSettings;
  /** 0..4; the API's own default when absent. */
  optimizeStreamingLatency?: 0 | 1 | 2 | 3 | 4;
  /** `pcm` (default): PCM16 at the call rate. `ulaw_8000`/`alaw_8000`: half the bytes, decoded here. */
  encoding?: 'pcm' | 'ulaw_8000' | 'alaw_8000';
  applyTextNormalization?: 'auto' | 'on' | 'off';
  /** false = zero-retention mode (enterprise accounts only). */
  enableLogging?: boolean;
  /** From sending the request to the first audio byte. Default 10 s. */
  firstByteTimeoutMs?: number;
  /** Longest wait for the next chunk once audio flows. Default 10 s. */
  idleTimeoutMs?: number;
  /** Overrides the model's documented character limit. */
  maxTextChars?: number;
  /** Provider name in errors and `name`. Default `elevenlabs`. */
  name?: string;
}

interface Format {
  /** The `output_format` query value. */
  query: string;
  codec: 'pcm16' | 'ulaw' | 'alaw';
  rate: number;
}

export class ElevenLabsTextToSpeech implements TextToSpeech {
  readonly name: string;
  readonly #o: Required<Pick<ElevenLabsTtsOptions, 'apiKey' | 'modelId' | 'firstByteTimeoutMs' | 'idleTimeoutMs'>> & ElevenLabsTtsOptions;
  readonly #voices: readonly VoiceInfo[];
  readonly #base: string;
  readonly #maxChars: number;

  constructor(options: ElevenLabsTtsOptions) {
    this.name = options.name ?? 'elevenlabs';
    if (!options.apiKey) throw new ProviderError('unauthorized', `${this.name}: no API key configured`);
    if (options.voices.length === 0) throw new ProviderError('unknown-voice', `${this.name}: configure at least one voice id`);
    this.#o = {
      ...options,
      modelId: options.modelId ?? ELEVENLABS_DEFAULT_MODEL,
      firstByteTimeoutMs: options.firstByteTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    };
    this.#base = (options.baseUrl ?? ELEVENLABS_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.#maxChars = options.maxTextChars ?? MODEL_TEXT_LIMITS[this.#o.modelId] ?? FALLBACK_TEXT_LIMIT;
    this.#voices = options.voices.map((v) => {
      const voice = typeof v === 'string' ? { id: v } : v;
      return { id: voice.id, languages: voice.languages ?? [], gender: voice.gender, nativeSampleRate: NATIVE_RATE, description: voice.description };
    });
  }

  voices(): readonly VoiceInfo[] {
    return this.#voices;
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesizedAudio> {
    return { samples: await collectSamples(this.stream(text, options)), sampleRate: options.sampleRate };
  }

  async *stream(text: string, options: SynthesisOptions): AsyncGenerator<Int16Array> {
    const voice = this.#check(text, options);
    const format = chooseFormat(this.#o.encoding ?? 'pcm', options.sampleRate);
    const query = new URLSearchParams({ output_format: format.query });
    if (this.#o.optimizeStreamingLatency !== undefined) query.set('optimize_streaming_latency', String(this.#o.optimizeStreamingLatency));
    if (this.#o.enableLogging !== undefined) query.set('enable_logging', String(this.#o.enableLogging));
    const body: Record<string, unknown> = { text: text.trim(), model_id: this.#o.modelId };
    if (options.language && LANGUAGE_CODE_MODELS.has(this.#o.modelId)) body.language_code = options.language.split('-')[0]!.toLowerCase();
    if (this.#o.voiceSettings) body.voice_settings = this.#o.voiceSettings;
    if (this.#o.applyTextNormalization) body.apply_text_normalization = this.#o.applyTextNormalization;

    const bytes = streamHttpAudio({
      name: this.name,
      url: `${this.#base}/v1/text-to-speech/${encodeURIComponent(voice)}/stream?${query}`,
      headers: { 'xi-api-key': this.#o.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
      firstByteTimeoutMs: this.#o.firstByteTimeoutMs,
      idleTimeoutMs: this.#o.idleTimeoutMs,
      apiKey: this.#o.apiKey,
      parseError: elevenLabsError,
    });
    yield* decodeStream(bytes, format, options.sampleRate);
  }

  #check(text: string, options: SynthesisOptions): string {
    if (typeof text !== 'string' || text.trim() === '') throw new ProviderError('invalid-input', `${this.name}: text is empty`);
    if (text.trim().length > this.#maxChars) {
      throw new ProviderError('invalid-input', `${this.name}: text is ${text.trim().length} chars, ${this.#o.modelId} takes at most ${this.#maxChars}`);
    }
    checkRate(this.name, options.sampleRate);
    return resolveVoice(this.name, this.#voices, options);
  }
}

export function createElevenLabsTts(options: ElevenLabsTtsOptions): ElevenLabsTextToSpeech {
  return new ElevenLabsTextToSpeech(options);
}

/** The format to ask for at a call rate: the rate itself when offered, else the next rate up (resampled here). */
function chooseFormat(encoding: 'pcm' | 'ulaw_8000' | 'alaw_8000', rate: number): Format {
  if (encoding === 'ulaw_8000') return { query: encoding, codec: 'ulaw', rate: 8000 };
  if (encoding === 'alaw_8000') return { query: encoding, codec: 'alaw', rate: 8000 };
  const exact = (PCM_RATES as readonly number[]).includes(rate) ? rate : undefined;
  const native = exact ?? PCM_RATES.find((r) => r > rate && r !== PREMIUM_PCM_RATE) ?? 48000;
  return { query: `pcm_${native}`, codec: 'pcm16', rate: native };
}

/** Provider bytes in `format` to samples at the call rate, chunk by chunk. */
async function* decodeStream(bytes: AsyncIterable<Uint8Array>, format: Format, rate: number): AsyncGenerator<Int16Array> {
  const pcm = new Pcm16Decoder();
  const converter = new RateConverter(format.rate, rate);
  for await (const chunk of bytes) {
    const samples = format.codec === 'pcm16' ? pcm.decode(chunk) : format.codec === 'ulaw' ? ulawToPcm16(chunk) : alawToPcm16(chunk);
    const out = converter.push(samples);
    if (out.length > 0) yield out;
  }
  const tail = converter.end();
  if (tail.length > 0) yield tail;
}

/** `voice_not_found` is a configuration error (unknown-voice); the message comes from the common `detail` reading. */
function elevenLabsError(json: unknown): ErrorSummary | undefined {
  const summary = commonErrorFields(json);
  return summary?.providerCode === 'voice_not_found' ? { ...summary, code: 'unknown-voice' } : summary;
}
