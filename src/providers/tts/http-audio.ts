// Streaming PCM16 over HTTP for the cloud TTS adapters (ElevenLabs, OpenAI speech): the request with its
// time-outs and error mapping, PCM decoding across chunk boundaries, streaming rate conversion.
import { ProviderError, abortReason } from '../errors.js';
import { readResponseText, redactSecrets, refusalError, type ErrorBodyReader } from '../refusal.js';
import { createResampler, type Resampler } from '../../audio/resampler.js';
import type { SynthesisOptions, VoiceInfo } from '../types.js';
import { WavHeaderStripper } from './wav-header.js';

export const MIN_RATE = 8000;
export const MAX_RATE = 48000;

/** PCM16LE bytes to samples across arbitrary chunk boundaries (an odd byte waits for its partner). */
export class Pcm16Decoder {
  #carry = -1;

  decode(bytes: Uint8Array): Int16Array {
    if (bytes.length === 0) return new Int16Array(0);
    const carried = this.#carry >= 0 ? 1 : 0;
    const total = bytes.length + carried;
    const out = new Int16Array(total >> 1);
    let i = 0;
    let o = 0;
    if (carried && out.length > 0) {
      out[o++] = (((bytes[0]! << 8) | this.#carry) << 16) >> 16;
      i = 1;
    }
    for (; o < out.length; o++, i += 2) out[o] = (((bytes[i + 1]! << 8) | bytes[i]!) << 16) >> 16;
    // A byte left at the very end of the body is half a sample: dropping it loses nothing audible.
    this.#carry = total & 1 ? bytes[bytes.length - 1]! : -1;
    return out;
  }
}

/**
 * One streaming resampler per stream, its group delay trimmed so the output lines up with the
 * provider's audio and is as long as a whole-buffer `resample` of it (sample-for-sample equal).
 */
export class RateConverter {
  readonly #resampler: Resampler;
  #skip: number;

  constructor(from: number, to: number) {
    this.#resampler = createResampler(from, to);
    this.#skip = this.#resampler.delaySamples;
  }

  push(samples: Int16Array): Int16Array {
    return this.#trim(this.#resampler.process(samples));
  }

  /** The samples the filter still holds; call once at the end of the stream. */
  end(): Int16Array {
    return this.#trim(this.#resampler.flush());
  }

  #trim(out: Int16Array): Int16Array {
    if (this.#skip === 0) return out;
    const cut = Math.min(this.#skip, out.length);
    this.#skip -= cut;
    return out.subarray(cut);
  }
}

/**
 * A raw PCM16 body at `fromRate` as samples at `toRate`, chunk by chunk. With `wavHeader`, a RIFF header in front
 * (some services wrap "raw" PCM in one) is dropped and the rate it states is believed.
 */
export async function* pcmAtRate(bytes: AsyncIterable<Uint8Array>, fromRate: number, toRate: number, options: { wavHeader?: boolean } = {}): AsyncGenerator<Int16Array> {
  const header = options.wavHeader ? new WavHeaderStripper() : undefined;
  const pcm = new Pcm16Decoder();
  let converter: RateConverter | undefined;
  for await (const chunk of bytes) {
    const data = header ? header.push(chunk) : chunk;
    if (data.length === 0) continue;
    converter ??= new RateConverter(header?.rate ?? fromRate, toRate);
    const out = converter.push(pcm.decode(data));
    if (out.length > 0) yield out;
  }
  const tail = converter?.end();
  if (tail && tail.length > 0) yield tail;
}

export interface HttpAudioRequest {
  /** Provider name, prefixed to error messages. */
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
  /** From sending the request to the first audio byte. */
  firstByteTimeoutMs: number;
  /** Longest wait for each further chunk. */
  idleTimeoutMs: number;
  /** Scrubbed from any message that echoes it. */
  apiKey: string;
  /** Reads the provider's JSON error body (bounded before it gets here). */
  parseError: ErrorBodyReader;
  /** An `audio/wav` answer is PCM in a header the caller strips (Sarvam's linear16), not a refusal. */
  acceptWav?: boolean;
}

/**
 * POSTs the request and yields the response body's chunks as they arrive. The timers only run
 * while waiting on the network, not while the consumer holds a chunk. Leaving the loop early, an
 * abort or a time-out closes the connection at once (the server sees the socket close).
 * Rejects with the signal's reason on abort, else with a ProviderError.
 */
export async function* streamHttpAudio(req: HttpAudioRequest): AsyncGenerator<Uint8Array> {
  const { signal, name } = req;
  if (signal?.aborted) throw abortReason(signal);
  const controller = new AbortController();
  let timedOut: 'first-byte' | 'idle' | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, kind: 'first-byte' | 'idle') => {
    timer = setTimeout(() => {
      timedOut = kind;
      controller.abort();
    }, ms);
  };
  const onAbort = () => controller.abort(abortReason(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  const failure = (err: unknown): unknown => {
    if (signal?.aborted) return abortReason(signal);
    if (timedOut === 'first-byte') return new ProviderError('timeout', `${name}: no audio within ${req.firstByteTimeoutMs} ms`);
    if (timedOut === 'idle') return new ProviderError('timeout', `${name}: the audio stream stalled for ${req.idleTimeoutMs} ms`);
    if (err instanceof ProviderError) return err;
    return new ProviderError('connection-lost', `${name}: connection lost (${describe(err)})`);
  };
  let finished = false;
  arm(req.firstByteTimeoutMs, 'first-byte');
  try {
    let body: ReadableStream<Uint8Array>;
    try {
      const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: controller.signal });
      if (!res.ok) {
        const body = await readResponseText(res);
        throw refusalError({
          provider: name,
          status: res.status,
          statusText: res.statusText,
          header: (h) => res.headers.get(h) ?? undefined,
          body,
          secrets: [req.apiKey],
          reader: req.parseError,
        });
      }
      const type = res.headers.get('content-type') ?? '';
      const refused = req.acceptWav ? /json|text\/|html|mpeg|mp3|ogg|opus|flac|aac/i : /json|text\/|html|mpeg|mp3|ogg|opus|wav|flac|aac/i;
      if (refused.test(type)) {
        throw new ProviderError('bad-response', `${name}: expected raw audio, got ${type}: ${redactSecrets((await readResponseText(res, 200)).trim(), [req.apiKey])}`);
      }
      if (!res.body) throw new ProviderError('bad-response', `${name}: the response has no body`);
      body = res.body;
    } catch (err) {
      throw failure(err);
    }
    const reader = body.getReader();
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw failure(err);
      }
      // Bytes already buffered when the caller aborted are not delivered.
      if (signal?.aborted) throw abortReason(signal);
      if (chunk.done) break;
      if (chunk.value.length === 0) continue;
      clearTimeout(timer);
      yield chunk.value;
      arm(req.idleTimeoutMs, 'idle');
    }
    finished = true;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (!finished) controller.abort(new DOMException('stream closed', 'AbortError'));
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ') || String(err);
}

/** All chunks of a stream as one buffer. */
export async function collectSamples(chunks: AsyncIterable<Int16Array>): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  let length = 0;
  for await (const c of chunks) {
    parts.push(c);
    length += c.length;
  }
  const all = new Int16Array(length);
  let at = 0;
  for (const c of parts) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

/** Integer call rate within what the adapters support; throws invalid-input. */
export function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
    throw new ProviderError('invalid-input', `${name}: sampleRate ${rate} is not an integer in ${MIN_RATE}..${MAX_RATE}`);
  }
}

/**
 * An explicit voice must be configured; otherwise the first voice declared for the language (exact
 * tag, then primary subtag), else the default (the first): cloud voices are multilingual, so any
 * of them speaks the text's language.
 */
export function resolveVoice(name: string, voices: readonly VoiceInfo[], options: SynthesisOptions): string {
  if (options.voice !== undefined) {
    if (!voices.some((v) => v.id === options.voice)) {
      throw new ProviderError('unknown-voice', `${name}: voice ${JSON.stringify(options.voice)} is not configured (voices: ${voices.map((v) => v.id).join(', ')})`);
    }
    return options.voice;
  }
  if (options.language) {
    const tag = options.language.toLowerCase();
    const primary = tag.split('-')[0]!;
    const tags = (v: VoiceInfo) => v.languages.map((l) => l.toLowerCase());
    const match = voices.find((v) => tags(v).includes(tag)) ?? voices.find((v) => tags(v).some((l) => l.split('-')[0] === primary));
    if (match) return match.id;
  }
  return voices[0]!.id;
}
