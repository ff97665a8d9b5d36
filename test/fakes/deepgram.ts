// A local stand-in for Deepgram's live transcription endpoint (GET /v1/listen, WebSocket), for
// tests and benchmarks: a real `ws` server on 127.0.0.1 speaking the documented wire protocol.
// Pages followed:
//   https://developers.deepgram.com/reference/speech-to-text/listen-streaming (listen.v1 AsyncAPI:
//     query parameters, Results/Metadata/UtteranceEnd/SpeechStarted, Finalize/CloseStream/KeepAlive)
//   https://developers.deepgram.com/docs/understand-endpointing-interim-results (is_final, speech_final)
//   https://developers.deepgram.com/docs/speech-started, /docs/utterance-end (vad_events, utterance_end_ms)
//   https://developers.deepgram.com/docs/audio-keep-alive (10 s without data closes with NET-0001)
//   https://developers.deepgram.com/docs/finalize (from_finalize), /docs/close-stream (Metadata, then close)
//   https://developers.deepgram.com/docs/stt-troubleshooting-websocket-data-and-net-errors (dg-request-id,
//     dg-error headers on a refused upgrade; close frames 1008 DATA-0000, 1011 NET-0000/NET-0001;
//     an empty binary frame ends the stream)
//   https://developers.deepgram.com/docs/authenticating (Authorization: Token <key>),
//   https://developers.deepgram.com/reference/errors (err_code/err_msg/request_id bodies)
//   https://developers.deepgram.com/docs/keyterm, /docs/keywords (keyterm is Nova-3 only, keywords not on Nova-3)
// Transcripts come from a script: each stretch of loud audio (10 ms frames whose RMS reaches a
// threshold) is one utterance of the script, in order. Where the fake is stricter than Deepgram it
// says so: it decodes only linear16 mono, so it refuses other encodings, a missing encoding
// (Deepgram would treat the audio as a container format) and channels other than 1.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';

export interface FakeUtterance {
  /** Interim transcripts, one per `interimEveryMs` of speech while the utterance is spoken. */
  interims?: string[];
  /** The final transcript, sent `finalDelayMs` after the endpoint. */
  final: string;
  confidence?: number;
}

export interface FakeRefusal {
  status: number;
  retryAfterSec?: number;
  /** How many upgrades to refuse (default: all). */
  times?: number;
}

export interface FakeDeepgramOptions {
  /** The key `Authorization: Token <key>` must carry (default `test-key`). */
  apiKey?: string;
  /** Utterances in the order the caller speaks them; speech beyond the script transcribes as ''. */
  script?: FakeUtterance[];
  /** RMS (int16 units) at which a 10 ms frame counts as speech (default 500, about -36 dBFS). */
  speechThreshold?: number;
  interimEveryMs?: number;
  /** Time to final: wall-clock delay between the endpoint in the audio and the final Results (default 0). */
  finalDelayMs?: number;
  /** Delay before answering the upgrade (slow first byte). */
  upgradeDelayMs?: number;
  /** Close with 1011 NET-0001 after this long without audio or text (default 10000, as documented). */
  idleTimeoutMs?: number;
  /** Drop each connection this long after it opened (socket destroyed, no close frame). */
  dropAfterMs?: number;
  /** Send a truncated JSON message this long after each connection opened. */
  malformedAfterMs?: number;
  refuse?: FakeRefusal;
  /** Keep received audio for inspection (default true). */
  recordAudio?: boolean;
}

/** Documented listen.v1 enums the fake validates against. */
const ENCODINGS = ['linear16', 'linear32', 'flac', 'alaw', 'mulaw', 'amr-nb', 'amr-wb', 'opus', 'ogg-opus', 'speex', 'g729'];
const MODELS = [
  'nova-3', 'nova-3-general', 'nova-3-medical', 'nova-2', 'nova-2-general', 'nova-2-meeting', 'nova-2-finance',
  'nova-2-conversationalai', 'nova-2-voicemail', 'nova-2-video', 'nova-2-medical', 'nova-2-drivethru',
  'nova-2-automotive', 'nova', 'nova-general', 'nova-phonecall', 'nova-medical', 'enhanced', 'enhanced-general',
  'enhanced-meeting', 'enhanced-phonecall', 'enhanced-finance', 'base', 'meeting', 'phonecall', 'finance',
  'conversationalai', 'voicemail', 'video',
];
const BOOLEAN_PARAMS = ['interim_results', 'vad_events', 'smart_format', 'punctuate', 'diarize', 'numerals', 'profanity_filter', 'dictation'];
const NET_0001 = 'Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001';

export interface UpgradeAttempt {
  status: number;
  query: URLSearchParams;
  authorized: boolean;
}

export interface FakeDeepgram {
  /** Pass as the adapter's `baseUrl` (`ws://127.0.0.1:<port>`). */
  readonly baseUrl: string;
  readonly connections: FakeDeepgramConnection[];
  readonly attempts: UpgradeAttempt[];
  /** The next connection to open (or one that opened and was not claimed yet). */
  nextConnection(): Promise<FakeDeepgramConnection>;
  /** Refuse the next `times` upgrades (default 1) with `status`. */
  refuseNext(status: number, options?: { retryAfterSec?: number; times?: number }): void;
  close(): Promise<void>;
}

export async function startFakeDeepgram(options: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const apiKey = options.apiKey ?? 'test-key';
  const connections: FakeDeepgramConnection[] = [];
  const attempts: UpgradeAttempt[] = [];
  const unclaimed: FakeDeepgramConnection[] = [];
  const waiters: ((c: FakeDeepgramConnection) => void)[] = [];
  let refusal: FakeRefusal | undefined = options.refuse ? { ...options.refuse } : undefined;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const requestIds = new WeakMap<IncomingMessage, string>();
  // Sockets whose upgrade is being held back (upgradeDelayMs); the http server no longer tracks them.
  const pending = new Map<Duplex, NodeJS.Timeout>();
  wss.on('headers', (headers, req) => headers.push(`dg-request-id: ${requestIds.get(req)}`));

  const server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' }).end('{"err_code":"Bad Request","err_msg":"WebSocket upgrade required"}');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = url.searchParams;
    const authorized = req.headers.authorization === `Token ${apiKey}`;
    const refuse = (status: number, errCode: string, errMsg: string, extra: Record<string, string> = {}): void => {
      attempts.push({ status, query, authorized });
      const body = JSON.stringify({ err_code: errCode, err_msg: errMsg, request_id: requestId });
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'dg-request-id': requestId,
        'dg-error': errMsg,
        connection: 'close',
        ...extra,
      };
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
      socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
    };
    if (url.pathname !== '/v1/listen') return refuse(404, 'NOT_FOUND', 'Not found');
    if (refusal && (refusal.times === undefined || refusal.times > 0)) {
      const { status, retryAfterSec } = refusal;
      if (refusal.times !== undefined) refusal.times--;
      const extra: Record<string, string> = retryAfterSec === undefined ? {} : { 'retry-after': String(retryAfterSec) };
      if (status === 401) return refuse(401, 'INVALID_AUTH', 'Invalid credentials.');
      if (status === 429) return refuse(429, 'TOO_MANY_REQUESTS', 'Too many requests. Please try again later.', extra);
      return refuse(status, 'ERROR', `Refused with ${status}`, extra);
    }
    if (!authorized) return refuse(401, 'INVALID_AUTH', 'Invalid credentials.');
    const invalid = validateQuery(query);
    if (invalid) return refuse(400, 'Bad Request', invalid);
    attempts.push({ status: 101, query, authorized });
    requestIds.set(req, requestId);
    const accept = (): void => {
      pending.delete(socket);
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new FakeDeepgramConnection(ws, query, requestId, options);
        connections.push(conn);
        const waiter = waiters.shift();
        if (waiter) waiter(conn);
        else unclaimed.push(conn);
      });
    };
    if (options.upgradeDelayMs) {
      const timer = setTimeout(accept, options.upgradeDelayMs);
      pending.set(socket, timer);
    } else accept();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `ws://127.0.0.1:${port}`,
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

/** Deepgram-style 400 messages for query parameters the fake cannot honour; undefined when valid. */
function validateQuery(q: URLSearchParams): string | undefined {
  const encoding = q.get('encoding');
  if (encoding === null) return 'encoding is required (this fake only decodes raw linear16 audio)';
  if (!ENCODINGS.includes(encoding)) return `Invalid encoding: ${encoding}`;
  if (encoding !== 'linear16') return `This fake only decodes linear16, not ${encoding}`;
  const rate = q.get('sample_rate');
  if (rate === null) return 'sample_rate is required when encoding is specified';
  if (!/^[1-9]\d*$/.test(rate)) return `Invalid sample_rate: ${rate}`;
  const channels = q.get('channels');
  if (channels !== null && channels !== '1') return `This fake only decodes mono audio, not channels=${channels}`;
  const model = q.get('model') ?? 'base';
  if (!MODELS.includes(model)) return 'No such model/language/tier combination found.';
  const nova3 = model.startsWith('nova-3');
  if (q.has('keyterm') && !nova3) return 'Keyterm Prompting is only available for Nova-3 models.';
  if (q.has('keywords') && nova3) return 'Keywords are not supported for Nova-3 models; use keyterm.';
  for (const name of BOOLEAN_PARAMS) {
    const v = q.get(name);
    if (v !== null && v !== 'true' && v !== 'false') return `Invalid ${name}: ${v}`;
  }
  const endpointing = q.get('endpointing');
  if (endpointing !== null && endpointing !== 'false' && !/^\d+$/.test(endpointing)) return `Invalid endpointing: ${endpointing}`;
  const utteranceEnd = q.get('utterance_end_ms');
  if (utteranceEnd !== null && !/^[1-9]\d*$/.test(utteranceEnd)) return `Invalid utterance_end_ms: ${utteranceEnd}`;
  return undefined;
}

function statusText(status: number): string {
  return { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
}

/** A JSON message the fake sends. */
type WireMessage = { type: string } & Record<string, unknown>;

export type ReceivedItem = { kind: 'audio'; bytes: number } | { kind: 'control'; type: string };

/** One accepted stream: what it received, and handles to inject failures. */
export class FakeDeepgramConnection {
  readonly query: URLSearchParams;
  readonly requestId: string;
  readonly sampleRate: number;
  /** Audio chunks and control messages in arrival order. */
  readonly received: ReceivedItem[] = [];
  /** Messages sent to the client, with `performance.now()` when each was handed to the socket. */
  readonly sent: { type: string; at: number }[] = [];
  /** Resolves when the socket closes, with the code the client saw or sent. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #ws: WebSocket;
  readonly #opts: FakeDeepgramOptions;
  readonly #audio: Buffer[] = [];
  readonly #sha = createHash('sha256');
  readonly #controlWaiters: { type: string; resolve: () => void }[] = [];
  #outbox: Promise<void> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #ending = false;
  // Audio clock (samples received) and the 10 ms energy frame being accumulated.
  #samples = 0;
  #carry = -1;
  readonly #frameSamples: number;
  #frameFill = 0;
  #frameSumSq = 0;
  // Utterance state.
  #scriptIndex = 0;
  #inSpeech = false;
  #segStart = 0;
  #segSpeech = 0;
  #lastSpeechEnd = 0;
  #silenceRun = 0;
  #current: FakeUtterance = { final: '' };
  #interimsSent = 0;
  #finalized = false;
  #utteranceEndPending = false;

  constructor(ws: WebSocket, query: URLSearchParams, requestId: string, opts: FakeDeepgramOptions) {
    this.#ws = ws;
    this.query = query;
    this.requestId = requestId;
    this.#opts = opts;
    this.sampleRate = Number(query.get('sample_rate'));
    this.#frameSamples = Math.max(1, Math.round(this.sampleRate / 100));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('close', () => this.#clearTimers());
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    this.#touch();
    if (opts.dropAfterMs !== undefined) this.#timers.push(setTimeout(() => this.drop(), opts.dropAfterMs));
    if (opts.malformedAfterMs !== undefined) {
      this.#timers.push(setTimeout(() => this.sendRaw('{"type":"Results","channel":{"alternatives":[{"transcript":'), opts.malformedAfterMs));
    }
  }

  /** All audio received so far, concatenated. */
  get audio(): Buffer {
    return Buffer.concat(this.#audio);
  }

  /** Control message types received, in order. */
  get controls(): string[] {
    return this.received.flatMap((r) => (r.kind === 'control' ? [r.type] : []));
  }

  /** Resolves once a control message of this type has been received. */
  waitForControl(type: string): Promise<void> {
    if (this.controls.includes(type)) return Promise.resolve();
    return new Promise((resolve) => this.#controlWaiters.push({ type, resolve }));
  }

  /** Destroy the socket without a close frame (what a network failure looks like). */
  drop(): void {
    this.#clearTimers();
    this.#ws.terminate();
  }

  /** Record control messages but do not act on them (a Deepgram that never answers CloseStream). */
  ignoreControls = false;

  /** Send text as is (e.g. malformed JSON). */
  sendRaw(text: string): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    this.sent.push({ type: 'raw', at: performance.now() });
    this.#ws.send(text);
  }

  /** Close with a Deepgram-style close frame, e.g. 1011 and a NET-0000 reason. */
  closeWith(code: number, reason: string): void {
    this.#clearTimers();
    this.#ws.close(code, reason);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#touch();
    if (this.#ending) return;
    if (!isBinary) {
      let type = 'invalid';
      try {
        const parsed: unknown = JSON.parse(data.toString());
        const t = typeof parsed === 'object' && parsed !== null ? (parsed as { type?: unknown }).type : undefined;
        if (typeof t === 'string') type = t;
      } catch {
        // recorded as 'invalid'
      }
      this.received.push({ kind: 'control', type });
      for (const w of this.#controlWaiters.filter((x) => x.type === type)) w.resolve();
      if (this.ignoreControls) return;
      if (type === 'Finalize') this.#finalize();
      else if (type === 'CloseStream') this.#closeStream();
      return;
    }
    if (data.length === 0) {
      // Documented: an empty binary frame ends the stream.
      this.#closeStream();
      return;
    }
    this.received.push({ kind: 'audio', bytes: data.length });
    if (this.#opts.recordAudio !== false) this.#audio.push(data);
    this.#sha.update(data);
    this.#analyse(data);
  }

  /** Energy VAD over PCM16LE, 10 ms frames on the audio clock. */
  #analyse(data: Buffer): void {
    let i = 0;
    if (this.#carry >= 0) {
      this.#addSample((data[0]! << 8) | this.#carry);
      this.#carry = -1;
      i = 1;
    }
    for (; i + 1 < data.length; i += 2) this.#addSample(data.readInt16LE(i));
    if (i < data.length) this.#carry = data[i]!;
  }

  #addSample(raw: number): void {
    const s = raw > 32767 ? raw - 65536 : raw;
    this.#frameSumSq += s * s;
    this.#samples++;
    if (++this.#frameFill < this.#frameSamples) return;
    const loud = Math.sqrt(this.#frameSumSq / this.#frameFill) >= (this.#opts.speechThreshold ?? 500);
    const frameEnd = this.#samples;
    const frameStart = frameEnd - this.#frameFill;
    this.#frameFill = 0;
    this.#frameSumSq = 0;
    this.#onFrame(loud, frameStart, frameEnd);
  }

  #onFrame(loud: boolean, frameStart: number, frameEnd: number): void {
    const q = this.query;
    const rate = this.sampleRate;
    if (loud) {
      this.#silenceRun = 0;
      if (!this.#inSpeech) {
        this.#inSpeech = true;
        this.#utteranceEndPending = false;
        this.#segStart = frameStart;
        this.#segSpeech = 0;
        this.#current = this.#opts.script?.[this.#scriptIndex++] ?? { final: '' };
        this.#interimsSent = 0;
        this.#finalized = false;
        if (q.get('vad_events') === 'true') {
          this.#enqueue(0, { type: 'SpeechStarted', channel: [0], timestamp: frameStart / rate });
        }
      }
      this.#segSpeech += frameEnd - frameStart;
      this.#lastSpeechEnd = frameEnd;
      const interims = this.#current.interims ?? [];
      const every = ((this.#opts.interimEveryMs ?? 200) * rate) / 1000;
      if (q.get('interim_results') === 'true' && !this.#finalized && this.#interimsSent < interims.length && this.#segSpeech >= (this.#interimsSent + 1) * every) {
        this.#enqueue(0, this.#results(interims[this.#interimsSent++]!, { isFinal: false }));
      }
      return;
    }
    if (this.#inSpeech) {
      this.#silenceRun += frameEnd - frameStart;
      const endpointing = q.get('endpointing');
      // Default endpointing is 10 ms. With endpointing=false, results are finalized (without
      // speech_final) after 300 ms of silence instead.
      const endMs = endpointing === 'false' ? 300 : Math.max(10, Number(endpointing ?? 10));
      if (this.#silenceRun * 1000 >= endMs * rate) {
        this.#inSpeech = false;
        const text = this.#finalized ? '' : this.#current.final;
        this.#enqueue(this.#opts.finalDelayMs ?? 0, this.#results(text, { isFinal: true, speechFinal: endpointing !== 'false' }));
        this.#utteranceEndPending = q.has('utterance_end_ms') && q.get('interim_results') === 'true';
      }
      return;
    }
    if (this.#utteranceEndPending && (frameEnd - this.#lastSpeechEnd) * 1000 >= Number(q.get('utterance_end_ms')) * rate) {
      this.#utteranceEndPending = false;
      this.#enqueue(0, { type: 'UtteranceEnd', channel: [0, 1], last_word_end: this.#lastSpeechEnd / this.sampleRate });
    }
  }

  #finalize(): void {
    if (this.#inSpeech && !this.#finalized) {
      this.#finalized = true;
      this.#enqueue(this.#opts.finalDelayMs ?? 0, this.#results(this.#current.final, { isFinal: true, fromFinalize: true }));
    } else {
      this.#enqueue(0, this.#results('', { isFinal: true, fromFinalize: true, at: this.#samples }));
    }
  }

  #closeStream(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (this.#inSpeech && !this.#finalized) this.#enqueue(0, this.#results(this.#current.final, { isFinal: true }));
    this.#enqueue(0, {
      type: 'Metadata',
      transaction_key: 'deprecated',
      request_id: this.requestId,
      sha256: this.#sha.digest('hex'),
      created: new Date().toISOString(),
      duration: this.#samples / this.sampleRate,
      channels: 1,
    });
    this.#outbox = this.#outbox.then(() => this.#ws.close(1000));
  }

  #results(transcript: string, o: { isFinal: boolean; speechFinal?: boolean; fromFinalize?: boolean; at?: number }): WireMessage {
    const rate = this.sampleRate;
    const start = (o.at ?? this.#segStart) / rate;
    const end = o.at === undefined ? this.#lastSpeechEnd / rate : start;
    const words = transcript.split(/\s+/).filter(Boolean);
    const step = words.length ? (end - start) / words.length : 0;
    const confidence = transcript ? (this.#current.confidence ?? 0.97) : 0;
    return {
      type: 'Results',
      channel_index: [0, 1],
      duration: end - start,
      start,
      is_final: o.isFinal,
      speech_final: o.speechFinal ?? false,
      from_finalize: o.fromFinalize ?? false,
      channel: {
        alternatives: [
          {
            transcript,
            confidence,
            words: words.map((w, k) => ({ word: w.toLowerCase(), start: start + k * step, end: start + (k + 1) * step, confidence, punctuated_word: w })),
          },
        ],
      },
      metadata: { request_id: this.requestId, model_info: { name: 'fake', version: '0', arch: 'fake' }, model_uuid: '00000000-0000-0000-0000-000000000000' },
    };
  }

  /** Messages go out in detection order; a delay holds back everything queued after it too. */
  #enqueue(delayMs: number, message: WireMessage): void {
    const text = JSON.stringify(message);
    this.#outbox = this.#outbox.then(async () => {
      if (delayMs > 0) await new Promise((resolve) => this.#timers.push(setTimeout(resolve, delayMs)));
      if (this.#ws.readyState !== WebSocket.OPEN) return;
      this.sent.push({ type: message.type, at: performance.now() });
      this.#ws.send(text);
    });
  }

  #touch(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.closeWith(1011, NET_0001), this.#opts.idleTimeoutMs ?? 10_000);
  }

  #clearTimers(): void {
    clearTimeout(this.#idleTimer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }
}
