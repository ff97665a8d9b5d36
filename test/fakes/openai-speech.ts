import { randomUUID } from 'node:crypto';
import { FakeSpeechServer, type FakeSpeechServerOptions, type SpeechExchange } from './speech-server.js';
import { pcm16le } from './speech-stream.js';

/**
 * A fake of OpenAI's speech endpoint on a real loopback HTTP server: POST /v1/audio/speech with
 * `Authorization: Bearer`, a JSON body, and the audio streamed back chunked.
 *
 * Docs followed:
 * - https://platform.openai.com/docs/api-reference/audio/createSpeech and the CreateSpeechRequest /
 *   PcmAudioFormat schemas of the OpenAPI spec: model (tts-1, tts-1-hd, gpt-4o-mini-tts,
 *   gpt-4o-mini-tts-2025-12-15), input (required, at most 4096 chars), voice (required; built-ins),
 *   instructions (not with tts-1/tts-1-hd, at most 4096 chars), response_format
 *   mp3|opus|aac|flac|wav|pcm (default mp3; pcm = 24 kHz 16-bit LE mono), speed 0.25..4,
 *   stream_format audio|sse;
 * - https://developers.openai.com/docs/guides/error-codes (error object
 *   {"error":{"message","type","param","code"}}; 401 "Incorrect API key provided" with the key
 *   masked; 429 rate limit; 500 "The server had an error while processing your request").
 * The fake only encodes pcm (other valid formats, and stream_format sse, get a 400 saying so).
 * The "voice" is one tone per word (speechSignal) at 24 kHz.
 */

export const OPENAI_SPEECH_MODELS = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts-2025-12-15'] as const;
export const OPENAI_SPEECH_VOICES = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'nova', 'onyx', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;
const RESPONSE_FORMATS = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const MAX_CHARS = 4096;
const PCM_RATE = 24000;

export type FakeOpenAiSpeechOptions = FakeSpeechServerOptions;

export class FakeOpenAiSpeech extends FakeSpeechServer {
  private constructor(options: FakeOpenAiSpeechOptions) {
    super(options, { apiKey: 'sk-test-0123456789abcdefghij', authHeader: 'authorization' });
  }

  static start(options: FakeOpenAiSpeechOptions = {}): Promise<FakeOpenAiSpeech> {
    return new FakeOpenAiSpeech(options).listen();
  }

  /** What OPENAI_BASE_URL would be. */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** The 24 kHz audio the fake streams for `text`. */
  expected(text: string): Int16Array {
    return this.speak(text, PCM_RATE);
  }

  protected rateLimited(x: SpeechExchange, headers: Record<string, string>): void {
    this.fail(x, 429, 'Rate limit reached for gpt-4o-mini-tts on requests per min (RPM): Limit 3, Used 3, Requested 1.', 'requests', null, 'rate_limit_exceeded', headers);
  }

  protected serverError(x: SpeechExchange, status: number): void {
    this.fail(x, status, 'The server had an error while processing your request. Sorry about that!', 'server_error');
  }

  /** OpenAI's error object. */
  private fail(x: SpeechExchange, status: number, message: string, type: string, param: string | null = null, code: string | null = null, headers: Record<string, string> = {}): void {
    this.sendJson(x, status, { error: { message, type, param, code } }, headers);
  }

  protected route(x: SpeechExchange): void {
    const { req, url, json, parsed } = x;
    const fail = (status: number, message: string, type: string, param: string | null = null, code: string | null = null) => this.fail(x, status, message, type, param, code);

    if (url.pathname !== '/v1/audio/speech' || req.method !== 'POST') {
      return fail(404, `Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error');
    }
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ')) {
      return fail(401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error');
    }
    const key = auth.slice('Bearer '.length);
    if (key !== this.apiKey) {
      // Like the real API: the wrong key comes back masked in the message.
      const masked = `${key.slice(0, 3)}${'*'.repeat(Math.max(0, key.length - 7))}${key.slice(-4)}`;
      return fail(401, `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', null, 'invalid_api_key');
    }

    const played = this.playFailure(x);
    if (played === 'answered') return;

    if (!parsed || typeof json !== 'object' || json === null || Array.isArray(json)) {
      return fail(400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    }
    const body = json as Record<string, unknown>;
    for (const field of ['model', 'input', 'voice']) {
      if (body[field] === undefined) return fail(400, `Missing required parameter: '${field}'.`, 'invalid_request_error', field, 'missing_required_parameter');
    }
    if (typeof body.model !== 'string' || !(OPENAI_SPEECH_MODELS as readonly string[]).includes(body.model)) {
      return fail(404, `The model \`${String(body.model)}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');
    }
    if (typeof body.input !== 'string') return fail(400, "Invalid type for 'input': expected a string.", 'invalid_request_error', 'input', 'invalid_type');
    if (body.input.length > MAX_CHARS) {
      return fail(400, `Invalid 'input': string too long. Expected a string with maximum length ${MAX_CHARS}, but got a string with length ${body.input.length} instead.`, 'invalid_request_error', 'input', 'string_above_max_length');
    }
    if (typeof body.voice !== 'string' || !(OPENAI_SPEECH_VOICES as readonly string[]).includes(body.voice)) {
      return fail(400, `Invalid value for 'voice': ${JSON.stringify(body.voice)}. Supported values are: ${OPENAI_SPEECH_VOICES.map((v) => `'${v}'`).join(', ')}.`, 'invalid_request_error', 'voice', 'invalid_value');
    }
    const format = body.response_format ?? 'mp3';
    if (typeof format !== 'string' || !RESPONSE_FORMATS.includes(format)) {
      return fail(400, `Invalid value: '${String(format)}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.`, 'invalid_request_error', 'response_format', 'invalid_value');
    }
    if (body.instructions !== undefined) {
      if (body.model === 'tts-1' || body.model === 'tts-1-hd') {
        return fail(400, `Instructions are not supported for ${body.model}.`, 'invalid_request_error', 'instructions', 'unsupported_parameter');
      }
      if (typeof body.instructions !== 'string' || body.instructions.length > MAX_CHARS) {
        return fail(400, `Invalid 'instructions': expected a string of at most ${MAX_CHARS} characters.`, 'invalid_request_error', 'instructions', 'invalid_value');
      }
    }
    if (body.speed !== undefined && !(typeof body.speed === 'number' && body.speed >= 0.25 && body.speed <= 4)) {
      return fail(400, `Invalid 'speed': expected a number between 0.25 and 4.`, 'invalid_request_error', 'speed', 'invalid_value');
    }
    if (format !== 'pcm' || (body.stream_format !== undefined && body.stream_format !== 'audio')) {
      return fail(400, `the fake serves response_format pcm with stream_format audio only`, 'invalid_request_error', 'response_format', 'fake_unsupported');
    }
    const audio = pcm16le(this.speak(body.input, PCM_RATE));
    this.streamAudio(x, audio, 'audio/pcm', played.streamFailure, { 'x-request-id': `req_${randomUUID().replace(/-/g, '')}` });
  }
}
