import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { pcm16ToAlaw, pcm16ToUlaw } from '../../src/audio/g711.js';
import {
  StallGate,
  readJsonRequest,
  pcm16le,
  sendJson,
  speechSignal,
  streamAudio,
  type ChunkSchedule,
  type FakeSpeechFailure,
  type SpeechRequestRecord,
} from './speech-stream.js';

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

export interface FakeElevenLabsOptions extends ChunkSchedule {
  apiKey?: string;
  /** Voice ids that exist. */
  voices?: readonly string[];
  /** Tone length per word. */
  msPerWord?: number;
}

export class FakeElevenLabs {
  readonly apiKey: string;
  readonly voices: readonly string[];
  readonly msPerWord: number;
  /** Change between requests to shape the next streams. */
  schedule: ChunkSchedule;
  readonly requests: SpeechRequestRecord[] = [];
  readonly #failures: FakeSpeechFailure[] = [];
  readonly #gate = new StallGate();
  readonly #server: Server;
  #baseUrl = '';

  private constructor(options: FakeElevenLabsOptions) {
    this.apiKey = options.apiKey ?? 'xi-test-key-0123456789';
    this.voices = options.voices ?? ['voice-en-1', 'voice-hi-1'];
    this.msPerWord = options.msPerWord ?? 150;
    this.schedule = { ttfbMs: options.ttfbMs, intervalMs: options.intervalMs, sizes: options.sizes };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  static async start(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
    const fake = new FakeElevenLabs(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#baseUrl = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** What ELEVENLABS_BASE_URL would be. */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  /** The next request fails this way (queued, one per request). */
  failNext(failure: FakeSpeechFailure): void {
    this.#failures.push(failure);
  }

  /** Lets stalled streams continue. */
  resume(): void {
    this.#gate.release();
  }

  /** The audio the fake streams for `text` at `rate` (before encoding). */
  expected(text: string, rate: number): Int16Array {
    return speechSignal(text, rate, this.msPerWord);
  }

  async close(): Promise<void> {
    this.#gate.release();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#baseUrl);
    const { json, parsed, record } = await readJsonRequest(req, url, 'xi-api-key');
    this.requests.push(record);

    const match = PATH.exec(url.pathname);
    if (!match) return sendJson(res, record, 404, { detail: 'Not Found' });
    if (req.method !== 'POST') return sendJson(res, record, 405, { detail: 'Method Not Allowed' });

    const key = req.headers['xi-api-key'];
    if (key === undefined) {
      return sendJson(res, record, 401, {
        detail: { status: 'needs_authorization', message: 'Neither authorization header nor xi-api-key received, please provide one.' },
      });
    }
    if (key !== this.apiKey) return sendJson(res, record, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });

    const failure = this.#failures.shift();
    if (failure?.kind === 'rate-limit') {
      const headers: Record<string, string> = failure.retryAfterSec === undefined ? {} : { 'retry-after': String(failure.retryAfterSec) };
      return sendJson(
        res,
        record,
        429,
        { detail: { status: 'too_many_concurrent_requests', message: 'Too many concurrent requests for your subscription.' } },
        headers,
      );
    }
    if (failure?.kind === 'server') {
      return sendJson(res, record, failure.status ?? 500, { detail: { status: 'internal_server_error', message: 'An internal error occurred.' } });
    }
    if (failure?.kind === 'answer') {
      record.status = failure.status;
      res.writeHead(failure.status, { 'content-type': failure.contentType ?? 'application/json' });
      return void res.end(failure.body);
    }

    const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    if (!(ELEVENLABS_OUTPUT_FORMATS as readonly string[]).includes(format)) {
      return sendJson(res, record, 400, { detail: { status: 'invalid_output_format', message: `Invalid output format: ${format}` } });
    }
    const latency = url.searchParams.get('optimize_streaming_latency');
    if (latency !== null && !/^[0-4]$/.test(latency)) {
      return sendJson(res, record, 422, {
        detail: [{ type: 'int_parsing', loc: ['query', 'optimize_streaming_latency'], msg: 'Input should be a valid integer between 0 and 4' }],
      });
    }
    if (!parsed || typeof json !== 'object' || json === null || Array.isArray(json)) {
      return sendJson(res, record, 422, { detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    }
    const body = json as Record<string, unknown>;
    if (body.text === undefined) return sendJson(res, record, 422, { detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required' }] });
    if (typeof body.text !== 'string') {
      return sendJson(res, record, 422, { detail: [{ type: 'string_type', loc: ['body', 'text'], msg: 'Input should be a valid string' }] });
    }
    const voiceId = decodeURIComponent(match[1]!);
    if (!this.voices.includes(voiceId)) {
      return sendJson(res, record, 400, { detail: { status: 'voice_not_found', message: `A voice with voice_id ${voiceId} was not found.` } });
    }
    const model = typeof body.model_id === 'string' ? body.model_id : DEFAULT_MODEL;
    const limit = MODEL_LIMITS[model] ?? 10_000;
    if (body.text.length > limit) {
      return sendJson(res, record, 400, {
        detail: {
          status: 'max_character_limit_exceeded',
          message: `This request's text has ${body.text.length} characters and exceeds the character limit of ${limit} characters.`,
        },
      });
    }
    const [codec, rateText] = format.split('_') as [string, string];
    if (codec === 'mp3' || codec === 'opus') {
      return sendJson(res, record, 400, { detail: { status: 'fake_unsupported', message: `the fake serves raw formats only, not ${format}` } });
    }
    const samples = speechSignal(body.text, Number(rateText), this.msPerWord);
    const audio = codec === 'pcm' ? pcm16le(samples) : codec === 'ulaw' ? pcm16ToUlaw(samples) : pcm16ToAlaw(samples);
    streamAudio(res, record, audio, codec === 'pcm' ? 'audio/pcm' : 'application/octet-stream', this.schedule, failure, this.#gate, {
      'request-id': randomUUID(),
      'x-character-count': String(body.text.length),
    });
  }
}
