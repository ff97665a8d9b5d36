// A local stand-in for Sarvam AI's streaming speech-to-text endpoint (GET /speech-to-text/ws, WebSocket), for tests
// and benchmarks: a real `ws` server on 127.0.0.1 speaking the documented wire protocol.
// Pages followed:
//   https://docs.sarvam.ai/api-reference/legacy/speech-to-text/transcribe/ws (AsyncAPI: Api-Subscription-Key header;
//     query language-code (required; `unknown` = detect), model saaras:v3 | saaras:v4 | saarika:v2.5, mode (saaras),
//     sample_rate 16000 | 8000, input_audio_codec, high_vad_sensitivity, vad_signals, flush_signal; audio messages
//     {audio: {data, sample_rate, encoding}}, {type: flush}; server messages data / events / error)
//   https://docs.sarvam.ai/api-reference-docs/api-guides-tutorials/speech-to-text/streaming-api (modes; one transcript
//     per utterance after Sarvam's VAD detects its end; START_SPEECH / END_SPEECH with vad_signals; flush)
//   https://docs.sarvam.ai/api/errors-troubleshooting ({"error":{"message","code"}}; 403 invalid_api_key_error,
//     429 rate_limit_exceeded_error)
// Transcripts come from a script: each stretch of loud audio (10 ms frames whose RMS reaches a threshold) is one
// utterance, in order; `endSilenceMs` of quiet ends it. Where the docs are silent the fake chooses, and says so: a
// flush answers with a data message even when nothing was said (empty transcript), a refused upgrade answers with the
// REST error body, and it decodes only pcm_s16le (other documented codecs are refused with a 400).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';

export interface FakeSarvamUtterance {
  transcript: string;
  /** The language reported (default: the connection's language-code, or hi-IN when it is `unknown`). */
  language?: string;
}

export interface FakeSarvamSttOptions {
  /** The key the `api-subscription-key` header must carry (default `sarvam-stt-test-key`). */
  apiKey?: string;
  script?: FakeSarvamUtterance[];
  /** RMS (int16 units) at which a 10 ms frame counts as speech (default 500). */
  speechThreshold?: number;
  /** Quiet that ends an utterance (default 400 ms). */
  endSilenceMs?: number;
  /** Wall-clock delay before each transcript (default 0). */
  transcriptDelayMs?: number;
  /** Delay before answering the upgrade (slow first byte). */
  upgradeDelayMs?: number;
  /** Destroy each connection once this much speech of an utterance was heard (closed mid-utterance). */
  dropMidUtteranceMs?: number;
}

export interface UpgradeAttempt {
  status: number;
  query: URLSearchParams;
  /** The key header as sent (test keys only). */
  key: string | undefined;
}

const LANGUAGES = ['unknown', 'hi-IN', 'bn-IN', 'gu-IN', 'kn-IN', 'ml-IN', 'mr-IN', 'od-IN', 'pa-IN', 'ta-IN', 'te-IN', 'en-IN'];
const V3_EXTRA = ['as-IN', 'ur-IN', 'ne-IN', 'kok-IN', 'ks-IN', 'sd-IN', 'sa-IN', 'sat-IN', 'mni-IN', 'brx-IN', 'mai-IN', 'doi-IN'];
const MODES = ['transcribe', 'translate', 'verbatim', 'translit', 'codemix'];
const CODECS = ['wav', 'pcm_s16le', 'pcm_l16', 'pcm_raw'];

export interface FakeSarvamStt {
  /** Pass as the adapter's `baseUrl` (`http://127.0.0.1:<port>`; the adapter maps it to ws). */
  readonly baseUrl: string;
  readonly connections: FakeSarvamConnection[];
  readonly attempts: UpgradeAttempt[];
  nextConnection(): Promise<FakeSarvamConnection>;
  /** Refuse the next `times` upgrades (default 1) with `status` (429 rate limit, 503 high load, ...). */
  refuseNext(status: number, options?: { retryAfterSec?: number; times?: number }): void;
  close(): Promise<void>;
}

export async function startFakeSarvamStt(options: FakeSarvamSttOptions = {}): Promise<FakeSarvamStt> {
  const apiKey = options.apiKey ?? 'sarvam-stt-test-key';
  const connections: FakeSarvamConnection[] = [];
  const attempts: UpgradeAttempt[] = [];
  const unclaimed: FakeSarvamConnection[] = [];
  const waiters: ((c: FakeSarvamConnection) => void)[] = [];
  const pending = new Map<Duplex, NodeJS.Timeout>();
  let refusal: { status: number; retryAfterSec?: number; times: number } | undefined;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' }).end('{"error":{"message":"WebSocket upgrade required","code":"invalid_request_error"}}');
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = url.searchParams;
    const key = typeof req.headers['api-subscription-key'] === 'string' ? req.headers['api-subscription-key'] : undefined;
    const refuse = (status: number, code: string, message: string, extra: Record<string, string> = {}): void => {
      attempts.push({ status, query, key });
      const body = JSON.stringify({ error: { message, code, request_id: randomUUID() } });
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close', ...extra };
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
      socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    if (url.pathname !== '/speech-to-text/ws') return refuse(404, 'not_found_error', 'Not Found');
    if (key !== apiKey) return refuse(403, 'invalid_api_key_error', key ? 'Invalid API key' : 'Missing API subscription key');
    if (refusal && refusal.times > 0) {
      refusal.times--;
      const extra: Record<string, string> = refusal.retryAfterSec === undefined ? {} : { 'retry-after': String(refusal.retryAfterSec) };
      if (refusal.status === 429) return refuse(429, 'rate_limit_exceeded_error', 'Rate limit exceeded', extra);
      return refuse(refusal.status, 'internal_server_error', `Refused with ${refusal.status}`, extra);
    }
    const invalid = validateQuery(query);
    if (invalid) return refuse(400, 'invalid_request_error', invalid);
    attempts.push({ status: 101, query, key });
    const accept = (): void => {
      pending.delete(socket);
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new FakeSarvamConnection(ws, query, options);
        connections.push(conn);
        const waiter = waiters.shift();
        if (waiter) waiter(conn);
        else unclaimed.push(conn);
      });
    };
    if (options.upgradeDelayMs) pending.set(socket, setTimeout(accept, options.upgradeDelayMs));
    else accept();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    connections,
    attempts,
    nextConnection: () => {
      const ready = unclaimed.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiters.push(resolve));
    },
    refuseNext: (status, o = {}) => {
      refusal = { status, retryAfterSec: o.retryAfterSec, times: o.times ?? 1 };
    },
    close: async () => {
      for (const c of connections) c.drop();
      for (const [socket, timer] of pending) {
        clearTimeout(timer);
        socket.destroy();
      }
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the documented enums allow (and the fake can decode); undefined when valid. */
function validateQuery(q: URLSearchParams): string | undefined {
  const model = q.get('model') ?? 'saaras:v3';
  if (model !== 'saaras:v3' && model !== 'saaras:v4' && model !== 'saarika:v2.5') return `model: ${model} is not supported on this endpoint`;
  const language = q.get('language-code');
  if (language === null) return 'language-code: field required';
  const saaras = model.startsWith('saaras');
  const languages = saaras ? [...LANGUAGES, ...V3_EXTRA] : LANGUAGES;
  if (!languages.includes(language)) return `language-code: ${language} is not supported by ${model}`;
  const mode = q.get('mode');
  if (mode !== null && (!saaras || !MODES.includes(mode))) return `mode: ${mode} is not supported by ${model}`;
  const rate = q.get('sample_rate') ?? '16000';
  if (rate !== '16000' && rate !== '8000') return 'sample_rate: only 16000 and 8000 are supported';
  const codec = q.get('input_audio_codec');
  if (codec !== null && !CODECS.includes(codec)) return `input_audio_codec: ${codec} is not supported`;
  if (codec !== 'pcm_s16le') return 'the fake decodes input_audio_codec=pcm_s16le only';
  for (const name of ['high_vad_sensitivity', 'vad_signals', 'flush_signal']) {
    const v = q.get(name);
    if (v !== null && v !== 'true' && v !== 'false') return `${name}: must be true or false`;
  }
  return undefined;
}

function statusText(status: number): string {
  return { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
}

/** One accepted stream: what it received, and handles to inject failures. */
export class FakeSarvamConnection {
  readonly query: URLSearchParams;
  readonly sampleRate: number;
  /** Rates the audio messages declared. */
  readonly declaredRates = new Set<number>();
  /** Control message types and audio message counts, in arrival order. */
  readonly received: string[] = [];
  /** Types sent to the client, with `performance.now()` at each send. */
  readonly sent: { type: string; at: number }[] = [];
  /** `performance.now()` when each utterance's end was heard (the audio that ended it arrived). */
  readonly endsHeardAt: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #ws: WebSocket;
  readonly #opts: FakeSarvamSttOptions;
  readonly #audio: Buffer[] = [];
  readonly #frameSamples: number;
  #frameFill = 0;
  #frameSumSq = 0;
  #scriptIndex = 0;
  #inSpeech = false;
  #speechMs = 0;
  #silenceMs = 0;
  #timers: NodeJS.Timeout[] = [];

  constructor(ws: WebSocket, query: URLSearchParams, opts: FakeSarvamSttOptions) {
    this.#ws = ws;
    this.query = query;
    this.#opts = opts;
    this.sampleRate = Number(query.get('sample_rate') ?? 16000);
    this.#frameSamples = Math.round(this.sampleRate / 100);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('close', () => this.#timers.forEach(clearTimeout));
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
  }

  /** All PCM received so far. */
  get audio(): Int16Array {
    const all = Buffer.concat(this.#audio);
    return new Int16Array(all.buffer, all.byteOffset, all.length >> 1);
  }

  get flushes(): number {
    return this.received.filter((r) => r === 'flush').length;
  }

  /** Record flushes but never answer them (a Sarvam that does not answer the closing flush). */
  ignoreFlush = false;

  /** Destroy the socket without a close frame (what a network failure looks like). */
  drop(): void {
    this.#ws.terminate();
  }

  /** An error message, as the service sends when it gives up on a stream, then a close. */
  fail(message: string, code: string): void {
    this.#send({ type: 'error', data: { message, code } });
    this.#ws.close(1011, 'error');
  }

  sendRaw(text: string): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(text);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.fail('Binary frames are not supported; send JSON audio messages', 'invalid_request_error');
    let msg: { type?: unknown; audio?: { data?: unknown; sample_rate?: unknown; encoding?: unknown } };
    try {
      msg = JSON.parse(data.toString()) as typeof msg;
    } catch {
      return this.fail('Invalid JSON message', 'invalid_request_error');
    }
    if (msg.type === 'flush') {
      this.received.push('flush');
      if (this.query.get('flush_signal') === 'true' && !this.ignoreFlush) this.#endUtterance(true);
      return;
    }
    const audio = msg.audio;
    if (!audio || typeof audio.data !== 'string') return this.fail('audio: field required', 'invalid_request_error');
    const rate = Number(audio.sample_rate);
    if (rate !== this.sampleRate) return this.fail(`audio.sample_rate ${String(audio.sample_rate)} does not match the connection's ${this.sampleRate}`, 'invalid_request_error');
    this.declaredRates.add(rate);
    this.received.push('audio');
    const pcm = Buffer.from(audio.data, 'base64');
    this.#audio.push(pcm);
    this.#listen(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1));
  }

  /** 10 ms energy frames drive the utterance state. */
  #listen(samples: Int16Array): void {
    const threshold = this.#opts.speechThreshold ?? 500;
    for (const s of samples) {
      this.#frameSumSq += s * s;
      if (++this.#frameFill < this.#frameSamples) continue;
      const loud = Math.sqrt(this.#frameSumSq / this.#frameFill) >= threshold;
      this.#frameFill = 0;
      this.#frameSumSq = 0;
      if (loud) {
        if (!this.#inSpeech) {
          this.#inSpeech = true;
          this.#speechMs = 0;
          this.#signal('START_SPEECH');
        }
        this.#speechMs += 10;
        this.#silenceMs = 0;
        if (this.#opts.dropMidUtteranceMs !== undefined && this.#speechMs >= this.#opts.dropMidUtteranceMs) return this.drop();
      } else if (this.#inSpeech && (this.#silenceMs += 10) >= (this.#opts.endSilenceMs ?? 400)) {
        this.#endUtterance(false);
      }
    }
  }

  /** The utterance ends (Sarvam's VAD, or a flush): END_SPEECH, then its transcript. */
  #endUtterance(flushed: boolean): void {
    if (!this.#inSpeech && !flushed) return;
    const spoke = this.#inSpeech;
    this.#inSpeech = false;
    this.#silenceMs = 0;
    this.endsHeardAt.push(performance.now());
    if (spoke) this.#signal('END_SPEECH');
    const line = spoke ? this.#opts.script?.[this.#scriptIndex++] : undefined;
    const asked = this.query.get('language-code')!;
    const language = line?.language ?? (asked === 'unknown' ? 'hi-IN' : asked);
    const message = {
      type: 'data',
      data: {
        request_id: randomUUID(),
        transcript: line?.transcript ?? '',
        timestamps: null,
        diarized_transcript: null,
        language_code: language,
        language_probability: asked === 'unknown' ? 0.93 : null,
        metrics: { audio_duration: this.#speechMs / 1000, processing_latency: 0.05 },
      },
    };
    const delay = this.#opts.transcriptDelayMs ?? 0;
    if (delay > 0) this.#timers.push(setTimeout(() => this.#send(message), delay));
    else this.#send(message);
  }

  #signal(signal: 'START_SPEECH' | 'END_SPEECH'): void {
    if (this.query.get('vad_signals') !== 'true') return;
    this.#send({ type: 'events', data: { event_type: 'vad', timestamp: new Date().toISOString(), signal_type: signal, occured_at: Date.now() / 1000 } });
  }

  #send(message: { type: string } & Record<string, unknown>): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.sent.push({ type: message.type, at: performance.now() });
    this.#ws.send(JSON.stringify(message));
  }
}
