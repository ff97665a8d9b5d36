import { randomUUID } from 'node:crypto';
import { pcm16ToAlaw, pcm16ToUlaw } from '../../src/audio/g711.js';
import { FakeSpeechServer, type FakeSpeechServerOptions, type SpeechExchange } from './speech-server.js';
import { pcm16le } from './speech-stream.js';

/**
 * A fake of ElevenLabs' streaming text-to-speech endpoint on a real loopback HTTP server:
 * POST /v1/text-to-speech/{voice_id}/stream?output_format=... with `xi-api-key` and a JSON body.
 *
 * Docs followed:
 * - https://elevenlabs.io/docs/api-reference/text-to-speech/stream (path, header, query
 *   output_format / optimize_streaming_latency 0..4 / enable_logging, body fields, chunked audio);
 * - output_format values: the official elevenlabs-js client's StreamTextToSpeechRequestOutputFormat
 *   (mp3_*, pcm_8000..pcm_48000, ulaw_8000, alaw_8000, opus_48000_*); default mp3_44100_128;
 * - https://help.elevenlabs.io/hc/en-us/articles/19572237925521 (error bodies
 *   {"detail":{"status","message"}}: invalid_api_key 401, voice_not_found and
 *   max_character_limit_exceeded 400) and .../13298164480913 (characters per request by model);
 * - 429 bodies `too_many_concurrent_requests` / `system_busy` (help centre "Error Code 429");
 * - FastAPI validation errors (422, `{"detail":[{"type","loc","msg"}]}`), which the API answers for a
 *   body without `text`.
 * Assumed where the docs say nothing: an unknown output_format is a 400 `invalid_output_format`;
 * a missing key is 401 `needs_authorization`.
 *
 * The "voice" is one tone per word (speechSignal) at the requested format's rate. mp3/opus are valid
 * formats the fake cannot encode: it answers 400 for them.
 */

export const ELEVENLABS_OUTPUT_FORMATS = [
  'mp3_22050_32', 'mp3_24000_48', 'mp3_44100_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192',
  'pcm_8000', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_32000', 'pcm_44100', 'pcm_48000',
  'ulaw_8000', 'alaw_8000',
  'opus_48000_32', 'opus_48000_64', 'opus_48000_96', 'opus_48000_128', 'opus_48000_192',
] as const;

const MODEL_LIMITS: Record<string, number> = {
  eleven_flash_v2_5: 40_000,
  eleven_turbo_v2_5: 40_000,
  eleven_flash_v2: 30_000,
  eleven_turbo_v2: 30_000,
  eleven_multilingual_v2: 10_000,
  eleven_v3: 5_000,
};
const DEFAULT_MODEL = 'eleven_multilingual_v2';
const PATH = /^\/v1\/text-to-speech\/([^/]+)\/stream$/;

export interface FakeElevenLabsOptions extends FakeSpeechServerOptions {
  /** Voice ids that exist. */
  voices?: readonly string[];
}

export class FakeElevenLabs extends FakeSpeechServer {
  readonly voices: readonly string[];

  private constructor(options: FakeElevenLabsOptions) {
    super(options, { apiKey: 'xi-test-key-0123456789', authHeader: 'xi-api-key' });
    this.voices = options.voices ?? ['voice-en-1', 'voice-hi-1'];
  }

  static start(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
    return new FakeElevenLabs(options).listen();
  }

  /** What ELEVENLABS_BASE_URL would be. */
  get baseUrl(): string {
    return this.origin;
  }

  /** The audio the fake streams for `text` at `rate` (before encoding). */
  expected(text: string, rate: number): Int16Array {
    return this.speak(text, rate);
  }

  protected rateLimited(x: SpeechExchange, headers: Record<string, string>): void {
    this.sendJson(x, 429, { detail: { status: 'too_many_concurrent_requests', message: 'Too many concurrent requests for your subscription.' } }, headers);
  }

  protected serverError(x: SpeechExchange, status: number): void {
    this.sendJson(x, status, { detail: { status: 'internal_server_error', message: 'An internal error occurred.' } });
  }

  protected route(x: SpeechExchange): void {
    const { req, url, json, parsed } = x;
    const match = PATH.exec(url.pathname);
    if (!match) return this.sendJson(x, 404, { detail: 'Not Found' });
    if (req.method !== 'POST') return this.sendJson(x, 405, { detail: 'Method Not Allowed' });

    const key = req.headers['xi-api-key'];
    if (key === undefined) {
      return this.sendJson(x, 401, {
        detail: { status: 'needs_authorization', message: 'Neither authorization header nor xi-api-key received, please provide one.' },
      });
    }
    if (key !== this.apiKey) return this.sendJson(x, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });

    const played = this.playFailure(x);
    if (played === 'answered') return;

    const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    if (!(ELEVENLABS_OUTPUT_FORMATS as readonly string[]).includes(format)) {
      return this.sendJson(x, 400, { detail: { status: 'invalid_output_format', message: `Invalid output format: ${format}` } });
    }
    const latency = url.searchParams.get('optimize_streaming_latency');
    if (latency !== null && !/^[0-4]$/.test(latency)) {
      return this.sendJson(x, 422, {
        detail: [{ type: 'int_parsing', loc: ['query', 'optimize_streaming_latency'], msg: 'Input should be a valid integer between 0 and 4' }],
      });
    }
    if (!parsed || typeof json !== 'object' || json === null || Array.isArray(json)) {
      return this.sendJson(x, 422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    }
    const body = json as Record<string, unknown>;
    if (body.text === undefined) return this.sendJson(x, 422, { detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required' }] });
    if (typeof body.text !== 'string') {
      return this.sendJson(x, 422, { detail: [{ type: 'string_type', loc: ['body', 'text'], msg: 'Input should be a valid string' }] });
    }
    const voiceId = decodeURIComponent(match[1]!);
    if (!this.voices.includes(voiceId)) {
      return this.sendJson(x, 400, { detail: { status: 'voice_not_found', message: `A voice with voice_id ${voiceId} was not found.` } });
    }
    const model = typeof body.model_id === 'string' ? body.model_id : DEFAULT_MODEL;
    const limit = MODEL_LIMITS[model] ?? 10_000;
    if (body.text.length > limit) {
      return this.sendJson(x, 400, {
        detail: {
          status: 'max_character_limit_exceeded',
          message: `This request's text has ${body.text.length} characters and exceeds the character limit of ${limit} characters.`,
        },
      });
    }
    const [codec, rateText] = format.split('_') as [string, string];
    if (codec === 'mp3' || codec === 'opus') {
      return this.sendJson(x, 400, { detail: { status: 'fake_unsupported', message: `the fake serves raw formats only, not ${format}` } });
    }
    const samples = this.speak(body.text, Number(rateText));
    const audio = codec === 'pcm' ? pcm16le(samples) : codec === 'ulaw' ? pcm16ToUlaw(samples) : pcm16ToAlaw(samples);
    this.streamAudio(x, audio, codec === 'pcm' ? 'audio/pcm' : 'application/octet-stream', played.streamFailure, {
      'request-id': randomUUID(),
      'x-character-count': String(body.text.length),
    });
  }
}
