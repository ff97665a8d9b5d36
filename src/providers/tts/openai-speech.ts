// OpenAI text-to-speech: POST {baseUrl}/audio/speech with `response_format: "pcm"` (raw 24 kHz
// PCM16LE mono), resampled to the call rate by one streaming resampler per request and yielded as
// each network chunk arrives. Any OpenAI-compatible speech endpoint works through `baseUrl`.
//
// Docs followed: https://platform.openai.com/docs/api-reference/audio/createSpeech (model, input
// at most 4096 characters, voice, instructions (not for tts-1 / tts-1-hd, at most 4096 characters),
// response_format mp3|opus|aac|flac|wav|pcm, speed 0.25..4) and the PcmAudioFormat schema of the
// OpenAPI spec (pcm is always 24000 Hz); https://platform.openai.com/docs/guides/error-codes (error
// bodies `{"error":{"message","type","param","code"}}`, 401 invalid key, 429 rate limit / quota).
// The HTTP streaming core is shared with the ElevenLabs adapter (see elevenlabs.ts).
import { z } from 'zod';
import { ProviderError } from '../errors.js';
import type { SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../types.js';
import { checkRate, collectSamples, pcmAtRate, resolveVoice, streamHttpAudio } from './http-audio.js';
import type { ErrorSummary } from '../refusal.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const OPENAI_DEFAULT_SPEECH_MODEL = 'gpt-4o-mini-tts';
/** The rate of `response_format: "pcm"`. */
export const OPENAI_PCM_RATE = 24000;
/** Longest `input` (and `instructions`) the endpoint accepts. */
export const OPENAI_MAX_INPUT_CHARS = 4096;
/** Built-in voices (marin and cedar need the gpt-4o-mini-tts family). */
export const OPENAI_BUILTIN_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;
/** Models that ignore (and reject) `instructions`. */
const NO_INSTRUCTIONS_MODELS = new Set(['tts-1', 'tts-1-hd']);

export interface OpenAiVoice {
  /** A built-in voice name (or a custom voice id on endpoints that have them). */
  id: string;
  /** Languages to prefer this voice for; any voice speaks the input's language. */
  languages?: readonly string[];
  gender?: 'female' | 'male';
  description?: string;
}

export interface OpenAiSpeechOptions {
  apiKey: string;
  /** Default https://api.openai.com/v1 (the wiring reads OPENAI_BASE_URL). */
  baseUrl?: string;
  /** Default gpt-4o-mini-tts. */
  model?: string;
  /** Voices callers may ask for; the first is the default. Default: the built-in voices, alloy first. */
  voices?: readonly (string | OpenAiVoice)[];
  /** How to speak (tone, pace, accent); gpt-4o-mini-tts only. */
  instructions?: string;
  /** 0.25..4, default 1. */
  speed?: number;
  /** From sending the request to the first audio byte. Default 10 s. */
  firstByteTimeoutMs?: number;
  /** Longest wait for the next chunk once audio flows. Default 10 s. */
  idleTimeoutMs?: number;
  /** Provider name in errors and `name`. Default `openai`. */
  name?: string;
}

const errorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});

export class OpenAiTextToSpeech implements TextToSpeech {
  readonly name: string;
  readonly #apiKey: string;
  readonly #url: string;
  readonly #model: string;
  readonly #voices: readonly VoiceInfo[];
  readonly #instructions?: string;
  readonly #speed?: number;
  readonly #firstByteTimeoutMs: number;
  readonly #idleTimeoutMs: number;

  constructor(options: OpenAiSpeechOptions) {
    this.name = options.name ?? 'openai';
    if (!options.apiKey) throw new ProviderError('unauthorized', `${this.name}: no API key configured`);
    this.#apiKey = options.apiKey;
    this.#url = `${(options.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '')}/audio/speech`;
    this.#model = options.model ?? OPENAI_DEFAULT_SPEECH_MODEL;
    const voices = options.voices ?? OPENAI_BUILTIN_VOICES;
    if (voices.length === 0) throw new ProviderError('unknown-voice', `${this.name}: configure at least one voice`);
    this.#voices = voices.map((v) => {
      const voice = typeof v === 'string' ? { id: v } : v;
      return { id: voice.id, languages: voice.languages ?? [], gender: voice.gender, nativeSampleRate: OPENAI_PCM_RATE, description: voice.description };
    });
    if (options.instructions !== undefined) {
      if (NO_INSTRUCTIONS_MODELS.has(this.#model)) throw new ProviderError('invalid-input', `${this.name}: ${this.#model} takes no instructions`);
      if (options.instructions.length > OPENAI_MAX_INPUT_CHARS) {
        throw new ProviderError('invalid-input', `${this.name}: instructions are ${options.instructions.length} chars, the limit is ${OPENAI_MAX_INPUT_CHARS}`);
      }
    }
    if (options.speed !== undefined && !(options.speed >= 0.25 && options.speed <= 4)) {
      throw new ProviderError('invalid-input', `${this.name}: speed ${options.speed} is outside 0.25..4`);
    }
    this.#instructions = options.instructions;
    this.#speed = options.speed;
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
    const voice = this.#check(text, options);
    const body: Record<string, unknown> = { model: this.#model, input: text.trim(), voice, response_format: 'pcm' };
    if (this.#instructions !== undefined) body.instructions = this.#instructions;
    if (this.#speed !== undefined) body.speed = this.#speed;
    const bytes = streamHttpAudio({
      name: this.name,
      url: this.#url,
      headers: { authorization: `Bearer ${this.#apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: options.signal,
      firstByteTimeoutMs: this.#firstByteTimeoutMs,
      idleTimeoutMs: this.#idleTimeoutMs,
      apiKey: this.#apiKey,
      parseError: openAiError,
    });
    yield* pcmAtRate(bytes, OPENAI_PCM_RATE, options.sampleRate);
  }

  #check(text: string, options: SynthesisOptions): string {
    if (typeof text !== 'string' || text.trim() === '') throw new ProviderError('invalid-input', `${this.name}: text is empty`);
    const length = text.trim().length;
    if (length > OPENAI_MAX_INPUT_CHARS) throw new ProviderError('invalid-input', `${this.name}: text is ${length} chars, the limit is ${OPENAI_MAX_INPUT_CHARS}`);
    checkRate(this.name, options.sampleRate);
    return resolveVoice(this.name, this.#voices, options);
  }
}

export function createOpenAiTts(options: OpenAiSpeechOptions): OpenAiTextToSpeech {
  return new OpenAiTextToSpeech(options);
}

/** OpenAI's `{error: {message, code, param}}`; an invalid `voice` is a configuration error (unknown-voice). */
function openAiError(json: unknown): ErrorSummary | undefined {
  const parsed = errorSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { message, code, type, param } = parsed.data.error;
  return {
    message,
    type: type ?? undefined,
    providerCode: code === null || code === undefined ? undefined : String(code),
    code: param === 'voice' ? 'unknown-voice' : undefined,
  };
}
