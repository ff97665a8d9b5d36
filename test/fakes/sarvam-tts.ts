import { randomUUID } from 'node:crypto';
import { FakeSpeechServer, type FakeSpeechServerOptions, type SpeechExchange } from './speech-server.js';
import { pcm16le } from './speech-stream.js';

/**
 * A fake of Sarvam AI's streaming text-to-speech endpoint on a real loopback HTTP server: POST /text-to-speech/stream
 * with the `api-subscription-key` header and a JSON body, the audio streamed back chunked.
 *
 * Docs followed:
 * - https://docs.sarvam.ai/api-reference-docs/text-to-speech/convert-stream and the HTTP-stream guide (binary audio
 *   stream; text at most 3500 characters);
 * - .../text-to-speech/how-to/set-the-sample-rate (8000, 16000, 22050, 24000 when streaming), the streaming codecs
 *   (mp3 default, wav, linear16, mulaw, alaw), .../text-to-speech/stream (bulbul:v3 pace 0.5-2, no pitch/loudness;
 *   bulbul:v2 pace 0.3-3), the bulbul:v3 speaker list (default shubh);
 * - https://docs.sarvam.ai/api/errors-troubleshooting (`{"error":{"message","code"}}`: 403 invalid_api_key_error,
 *   400 invalid_request_error, 429 rate_limit_exceeded_error, 500 internal_server_error).
 * The fake only encodes linear16 (other valid codecs get a 400 saying so), bare PCM unless `wavHeader` is set (the
 * docs do not say which the service sends). The "voice" is one tone per word (speechSignal) at the requested rate.
 */

export const SARVAM_V3_SPEAKERS = [
  'aditya', 'ritu', 'priya', 'neha', 'rahul', 'pooja', 'rohan', 'simran', 'kavya', 'amit', 'dev', 'ishita', 'shreya', 'ratan', 'varun', 'manan',
  'sumit', 'roopa', 'kabir', 'aayan', 'shubh', 'ashutosh', 'advait', 'anand', 'tanya', 'tarun', 'sunny', 'mani', 'gokul', 'vijay', 'shruti',
  'suhani', 'mohit', 'kavitha', 'rehan', 'soham', 'rupali', 'niharika',
] as const;
const V2_SPEAKERS = ['anushka', 'manisha', 'vidya', 'arya', 'abhilash', 'karun', 'hitesh'];
const LANGUAGES = ['bn-IN', 'en-IN', 'gu-IN', 'hi-IN', 'kn-IN', 'ml-IN', 'mr-IN', 'od-IN', 'pa-IN', 'ta-IN', 'te-IN'];
const STREAM_RATES = [8000, 16000, 22050, 24000];
const STREAM_CODECS = ['mp3', 'wav', 'linear16', 'mulaw', 'alaw'];
const MAX_CHARS = 3500;

export interface FakeSarvamTtsOptions extends FakeSpeechServerOptions {
  /** Wrap the PCM in a streaming WAV header (unknown lengths), as some services do for "raw" codecs. */
  wavHeader?: boolean;
}

export class FakeSarvamTts extends FakeSpeechServer {
  wavHeader: boolean;

  private constructor(options: FakeSarvamTtsOptions) {
    super(options, { apiKey: 'sarvam-test-0123456789abcdef', authHeader: 'api-subscription-key' });
    this.wavHeader = options.wavHeader ?? false;
  }

  static start(options: FakeSarvamTtsOptions = {}): Promise<FakeSarvamTts> {
    return new FakeSarvamTts(options).listen();
  }

  /** What SARVAM_BASE_URL would be. */
  get baseUrl(): string {
    return this.origin;
  }

  /** The audio the fake streams for `text` at `rate`. */
  expected(text: string, rate: number): Int16Array {
    return this.speak(text, rate);
  }

  protected rateLimited(x: SpeechExchange, headers: Record<string, string>): void {
    this.fail(x, 429, 'Rate limit exceeded. Please slow down your requests.', 'rate_limit_exceeded_error', headers);
  }

  protected serverError(x: SpeechExchange, status: number): void {
    this.fail(x, status, 'Internal server error', 'internal_server_error');
  }

  private fail(x: SpeechExchange, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
    this.sendJson(x, status, { error: { message, code, request_id: `req_${randomUUID()}` } }, headers);
  }

  protected route(x: SpeechExchange): void {
    const { req, url, json, parsed } = x;
    const invalid = (message: string) => this.fail(x, 400, message, 'invalid_request_error');
    if (url.pathname !== '/text-to-speech/stream' || req.method !== 'POST') return this.fail(x, 404, `Not Found: ${req.method} ${url.pathname}`, 'not_found_error');
    const key = req.headers['api-subscription-key'];
    if (key !== this.apiKey) {
      return this.fail(x, 403, key ? 'Invalid API key. Please check your API subscription key.' : 'Missing api-subscription-key header.', 'invalid_api_key_error');
    }

    const played = this.playFailure(x);
    if (played === 'answered') return;

    if (!parsed || typeof json !== 'object' || json === null || Array.isArray(json)) return invalid('Request body must be a JSON object');
    const b = json as Record<string, unknown>;
    if (typeof b.text !== 'string' || b.text.trim() === '') return invalid('text: field required');
    if (b.text.length > MAX_CHARS) return invalid(`text: must be at most ${MAX_CHARS} characters`);
    if (typeof b.target_language_code !== 'string' || !LANGUAGES.includes(b.target_language_code)) return invalid(`target_language_code: must be one of ${LANGUAGES.join(', ')}`);
    const model = b.model ?? 'bulbul:v3';
    if (model !== 'bulbul:v3' && model !== 'bulbul:v2') return invalid(`model: must be bulbul:v2 or bulbul:v3`);
    const speakers = model === 'bulbul:v3' ? (SARVAM_V3_SPEAKERS as readonly string[]) : V2_SPEAKERS;
    const speaker = b.speaker ?? (model === 'bulbul:v3' ? 'shubh' : 'anushka');
    if (typeof speaker !== 'string' || !speakers.includes(speaker)) return invalid(`speaker: ${String(speaker)} is not a valid speaker for ${String(model)}`);
    const [low, high] = model === 'bulbul:v3' ? [0.5, 2] : [0.3, 3];
    if (b.pace !== undefined && !(typeof b.pace === 'number' && b.pace >= low && b.pace <= high)) return invalid(`pace: must be between ${low} and ${high}`);
    if (model === 'bulbul:v3' && (b.pitch !== undefined || b.loudness !== undefined)) return invalid('pitch and loudness are not supported by bulbul:v3');
    const rate = b.speech_sample_rate ?? (model === 'bulbul:v3' ? 24000 : 22050);
    if (typeof rate !== 'number' || !STREAM_RATES.includes(rate)) return invalid(`speech_sample_rate: must be one of ${STREAM_RATES.join(', ')} when streaming`);
    const codec = b.output_audio_codec ?? 'mp3';
    if (typeof codec !== 'string' || !STREAM_CODECS.includes(codec)) return invalid(`output_audio_codec: ${String(codec)} is not supported for streaming`);
    if (codec !== 'linear16') return invalid('the fake encodes output_audio_codec linear16 only');

    const pcm = pcm16le(this.speak(b.text, rate));
    const audio = this.wavHeader ? Buffer.concat([streamingWavHeader(rate), pcm]) : pcm;
    this.streamAudio(x, audio, this.wavHeader ? 'audio/wav' : 'audio/pcm', played.streamFailure, { 'x-request-id': randomUUID() });
  }
}

/** A WAV header for a stream of unknown length (sizes 0xFFFFFFFF), with a LIST chunk before `data`. */
function streamingWavHeader(rate: number): Buffer {
  const list = Buffer.from('INFOISFT\x06\x00\x00\x00fake\x00\x00', 'latin1');
  const h = Buffer.alloc(12 + 24 + 8 + list.length + 8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('LIST', 36, 'latin1');
  h.writeUInt32LE(list.length, 40);
  list.copy(h, 44);
  h.write('data', 44 + list.length, 'latin1');
  h.writeUInt32LE(0xffffffff, 48 + list.length);
  return h;
}
