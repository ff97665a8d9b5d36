import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake of Exotel's v1 Calls REST API (spec §7, §8, §15.5–§15.10) on a real loopback HTTP server, strict
 * where the live API is strict: TitleCase paths and field names, Basic auth, form bodies, required fields
 * per mode, `Url` xor `StreamUrl`, `StreamUrl` ≤600 chars, JSON for `.json` paths and XML otherwise.
 * Tests program failures (`failNext`), read what was received (`requests`), react to dials (`onDial`), move
 * calls to their final state (`setCallStatus`) and post status callbacks the way Exotel does.
 */

export type StatusCallbackEvent = 'terminal' | 'answered' | 'ringing';
export type CallbackEncoding = 'json' | 'form' | 'multipart';

export interface FakeExotelRestOptions {
  accountSid?: string;
  apiKey?: string;
  apiToken?: string;
  /** Requests allowed per window before 429 (spec §7.1: 200 per minute). */
  rateLimit?: { max: number; windowMs: number };
  /** Clock for timestamps and the rate-limit window. */
  now?: () => number;
  /** Listen on this port instead of an ephemeral one. */
  port?: number;
}

export type FakeFailure =
  /** Answer with a RestException; `format` defaults to the path's (JSON for `.json`, else XML). */
  | { kind: 'error'; status: number; message: string; code?: number | string; format?: 'json' | 'xml' | 'html' }
  | { kind: 'rate-limit'; retryAfterSec?: number }
  /** Wait, then handle the request normally (a dial is placed even if the client gave up). */
  | { kind: 'delay'; ms: number }
  /** Read the request, then destroy the connection without answering (nothing is placed). */
  | { kind: 'drop' }
  /** Answer exactly this (e.g. a malformed 200, or a proxy's redirect); nothing is placed. */
  | { kind: 'answer'; status: number; body: string; contentType?: string; headers?: Record<string, string> };

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; `authorization` is masked. */
  headers: Record<string, string>;
  /** Whether the Basic credentials matched. */
  authorized: boolean;
  body: string;
  /** Form fields in the order received (repeated keys kept). */
  fields: Array<[string, string]>;
  /** HTTP status answered; 0 while pending or when the connection was dropped. */
  status: number;
}

export interface DialedCall {
  Sid: string;
  mode: 'flow' | 'voice-ai' | 'two-numbers';
  From: string;
  To?: string;
  CallerId: string;
  Url?: string;
  StreamUrl?: string;
  StreamType?: string;
  StreamName?: string;
  CustomField?: string;
  StatusCallback?: string;
  StatusCallbackEvents: StatusCallbackEvent[];
  StatusCallbackContentType?: string;
  TimeLimit?: number;
  TimeOut?: number;
  Record?: boolean;
  /** Every field as received (last value wins; events under `StatusCallbackEvents`, comma-joined). */
  fields: Record<string, string>;
}

export interface FakeLeg {
  Id: number;
  OnCallDuration: number;
  Status: string;
  AnsweredBy: string;
}

export interface FakeCallState {
  dial: DialedCall;
  Status: string;
  DateCreated: string;
  DateUpdated: string;
  StartTime: string;
  EndTime: string | null;
  Duration: number | null;
  Price: string | null;
  RecordingUrl: string | null;
  AnsweredBy: string | null;
  ConversationDuration: number;
  Legs: FakeLeg[];
}

export interface CallUpdate {
  status: string;
  /** Seconds the customer talked (answered time). */
  conversationDurationSec?: number;
  /** Whole call length in seconds; defaults to the conversation duration. */
  durationSec?: number;
  recordingUrl?: string | null;
  answeredBy?: string;
  price?: string;
  legs?: FakeLeg[];
}

export interface StatusCallbackLeg {
  OnCallDuration?: number;
  Status?: string;
  AnsweredBy?: string;
}

/** The §8 field set. The first four are always sent; the rest only with StatusCallbackEvents subscribed. */
export interface StatusCallbackFields {
  CallSid: string;
  Status: string;
  DateUpdated: string;
  RecordingUrl: string | null;
  EventType?: StatusCallbackEvent;
  DateCreated?: string;
  To?: string | null;
  From?: string;
  PhoneNumberSid?: string;
  StartTime?: string;
  EndTime?: string | null;
  ConversationDuration?: number;
  Direction?: string;
  CustomField?: string;
  Legs?: StatusCallbackLeg[];
}

export interface CallbackDelivery {
  status: number;
  body: string;
}

type DialHook = (call: DialedCall) => void | Promise<void>;

const CONNECT_PATH = /^\/v1\/Accounts\/([^/]+)\/Calls\/connect(\.json)?$/;
const CALL_PATH = /^\/v1\/Accounts\/([^/]+)\/Calls\/([A-Za-z0-9]+)(\.json)?$/;
const FIELDS = [
  'From', 'To', 'CallerId', 'Url', 'CallType', 'StreamUrl', 'StreamType', 'StreamName', 'StreamBegin', 'Record',
  'RecordingChannels', 'RecordingFormat', 'TimeLimit', 'TimeOut', 'CustomField', 'StatusCallback',
  'StatusCallbackEvents', 'StatusCallbackContentType', 'WaitUrl', 'StartPlaybackToNew', 'StartPlaybackValueNew',
];
/** All three spellings seen in practice (spec §7.2): `X`, `X[]`, `X[0]`. */
const EVENTS_KEY = /^StatusCallbackEvents(\[\d*\])?$/;
const NUMBER = /^\+?\d{8,15}$/;
const FLOW_URL = /^https?:\/\/my\.exotel\.(com|in)\//;
const IST_OFFSET_MS = 330 * 60_000;
const TERMINAL = new Set(['completed', 'failed', 'busy', 'no-answer', 'canceled']);

/** `YYYY-MM-DD HH:mm:ss` in IST, as India accounts see it. */
export function exotelTimestamp(ms: number): string {
  return new Date(ms + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: number | string,
  ) {
    super(message);
  }
}

export class FakeExotelRest {
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  readonly requests: RecordedRequest[] = [];
  readonly calls = new Map<string, FakeCallState>();
  private readonly now: () => number;
  private rateLimit: { max: number; windowMs: number };
  private readonly windowHits: number[] = [];
  private readonly failures: FakeFailure[] = [];
  private readonly hooks: DialHook[] = [];
  private readonly hookRuns = new Set<Promise<void>>();
  private readonly hookErrors: unknown[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly port: number;
  private server: Server | undefined;
  private url: string | undefined;

  constructor(options: FakeExotelRestOptions = {}) {
    this.accountSid = options.accountSid ?? 'exotelacct1';
    this.apiKey = options.apiKey ?? 'exotel_key';
    this.apiToken = options.apiToken ?? 'exotel_token';
    this.rateLimit = options.rateLimit ?? { max: 200, windowMs: 60_000 };
    this.now = options.now ?? Date.now;
    this.port = options.port ?? 0;
  }

  async start(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
    // A client that hangs up mid-request must not become an unhandled rejection in the test process.
    const server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { baseUrl: this.url, close: () => this.close() };
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('FakeExotelRest: not started');
    return this.url;
  }

  /** Stops listening and drops open connections; rejects if a dial hook failed. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.settled();
  }

  /** Queues failures; each applies to one incoming request, in order. */
  failNext(...failures: FakeFailure[]): void {
    this.failures.push(...failures);
  }

  setRateLimit(max: number, windowMs = 60_000): void {
    this.rateLimit = { max, windowMs };
    this.windowHits.length = 0;
  }

  /** Runs after every successful dial, once the answer has gone out. Returns an unsubscribe function. */
  onDial(hook: DialHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Waits for running dial hooks; throws the first error one of them raised. */
  async settled(): Promise<void> {
    while (this.hookRuns.size > 0) await Promise.all([...this.hookRuns]);
    if (this.hookErrors.length > 0) throw this.hookErrors[0];
  }

  call(sid: string): FakeCallState {
    const call = this.calls.get(sid);
    if (!call) throw new Error(`FakeExotelRest: no call ${sid}`);
    return call;
  }

  /** Moves a call to a new (usually final) status; call details (`GET …/Calls/<Sid>`) reflect it. */
  setCallStatus(sid: string, update: CallUpdate): FakeCallState {
    const call = this.call(sid);
    const stamp = exotelTimestamp(this.now());
    const talked = update.conversationDurationSec ?? call.ConversationDuration;
    call.Status = update.status;
    call.DateUpdated = stamp;
    call.ConversationDuration = talked;
    if (update.recordingUrl !== undefined) call.RecordingUrl = update.recordingUrl;
    if (update.answeredBy !== undefined) call.AnsweredBy = update.answeredBy;
    if (TERMINAL.has(update.status)) {
      call.EndTime = stamp;
      call.Duration = update.durationSec ?? talked;
      call.Price = update.price ?? (talked > 0 ? '1.500' : '0.000');
    }
    call.Legs = update.legs ?? defaultLegs(call);
    return call;
  }

  /** What Exotel would post for this call and event (spec §8). `full` defaults to "events were subscribed". */
  statusCallbackFields(sid: string, eventType: StatusCallbackEvent, options: { full?: boolean } = {}): StatusCallbackFields {
    const call = this.call(sid);
    const status = eventType === 'answered' ? 'in-progress' : eventType === 'ringing' ? 'ringing' : call.Status;
    if (eventType === 'terminal' && !TERMINAL.has(status)) {
      throw new Error(`FakeExotelRest: call ${sid} is ${status}; setCallStatus() to a final status before 'terminal'`);
    }
    const base: StatusCallbackFields = { CallSid: sid, DateUpdated: call.DateUpdated, Status: status, RecordingUrl: call.RecordingUrl };
    if (!(options.full ?? call.dial.StatusCallbackEvents.length > 0)) return base;
    return {
      ...base,
      EventType: eventType,
      DateCreated: call.DateCreated,
      To: call.dial.To ?? null,
      From: call.dial.From,
      PhoneNumberSid: call.dial.CallerId,
      StartTime: call.StartTime,
      EndTime: call.EndTime,
      ConversationDuration: call.ConversationDuration,
      Direction: 'outbound-api',
      ...(eventType === 'terminal' && call.dial.CustomField !== undefined ? { CustomField: call.dial.CustomField } : {}),
      Legs: call.Legs.map((l) => ({ OnCallDuration: l.OnCallDuration, Status: l.Status, AnsweredBy: l.AnsweredBy })),
    };
  }

  /**
   * Posts this call's status callback to the URL the dial gave, as Exotel would: JSON when the dial asked
   * for `StatusCallbackContentType=application/json`, multipart/form-data otherwise (unless `encoding`).
   */
  async sendStatusCallback(sid: string, eventType: StatusCallbackEvent, encoding?: CallbackEncoding): Promise<CallbackDelivery> {
    const { dial } = this.call(sid);
    if (!dial.StatusCallback) throw new Error(`FakeExotelRest: call ${sid} was dialled without a StatusCallback`);
    if (eventType !== 'terminal' && !dial.StatusCallbackEvents.includes(eventType)) {
      throw new Error(`FakeExotelRest: call ${sid} did not subscribe to '${eventType}' (Exotel would not send it)`);
    }
    const chosen = encoding ?? (dial.StatusCallbackContentType === 'application/json' ? 'json' : 'multipart');
    return postStatusCallback(dial.StatusCallback, this.statusCallbackFields(sid, eventType), chosen);
  }

  postStatusCallback(url: string, fields: StatusCallbackFields, encoding: CallbackEncoding): Promise<CallbackDelivery> {
    return postStatusCallback(url, fields, encoding);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const parsedUrl = new URL(req.url ?? '/', 'http://fake');
    const path = parsedUrl.pathname;
    const json = path.endsWith('.json');
    const authorized = this.checkAuth(req.headers.authorization);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(parsedUrl.searchParams),
      headers: maskedHeaders(req),
      authorized,
      body: raw.toString('utf8'),
      fields: [],
      status: 0,
    };
    this.requests.push(record);
    // Parsed up front so even requests rejected for their path or credentials show what they carried.
    const parsed = req.method === 'POST' ? await formFields(req.headers['content-type'], raw).catch((err: unknown) => err as Reject) : [];
    if (Array.isArray(parsed)) record.fields = parsed;
    const answer = (status: number, body: string, type: string, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    };
    const answerError = (err: Reject, format: 'json' | 'xml' | 'html' = json ? 'json' : 'xml', headers?: Record<string, string>): void => {
      if (format === 'html') answer(err.status, htmlError(err.status, err.message), 'text/html', headers);
      else if (format === 'json') answer(err.status, JSON.stringify({ RestException: restException(err) }), 'application/json', headers);
      else answer(err.status, xmlDocument({ RestException: restException(err) }), 'application/xml; charset=utf-8', headers);
    };
    const answerCall = (call: FakeCallState, withDetails: boolean): void => {
      const view = { Call: callView(call, this.accountSid, json, withDetails) };
      if (json) answer(200, JSON.stringify(view), 'application/json');
      else answer(200, xmlDocument(view), 'application/xml; charset=utf-8');
    };

    const failure = this.failures.shift();
    if (failure?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (failure?.kind === 'answer') {
      return answer(failure.status, failure.body, failure.contentType ?? 'application/json', failure.headers);
    }
    if (failure?.kind === 'error') return answerError(new Reject(failure.status, failure.message, failure.code), failure.format);
    if (failure?.kind === 'rate-limit') {
      const wait = failure.retryAfterSec ?? 60;
      return answerError(new Reject(429, 'Rate limit exceeded'), undefined, { 'retry-after': String(wait) });
    }
    if (failure?.kind === 'delay') await this.pause(failure.ms);
    if (!this.server) return;

    try {
      const connect = req.method === 'POST' ? CONNECT_PATH.exec(path) : null;
      const details = req.method === 'GET' ? CALL_PATH.exec(path) : null;
      const sid = connect?.[1] ?? details?.[1];
      if (sid === undefined) throw new Reject(404, `The requested resource ${path} was not found`);
      if (!authorized || sid !== this.accountSid) throw new Reject(401, 'Authentication failed. Check your API key and token.');
      const retryAfter = this.takeRateLimitSlot();
      if (retryAfter !== undefined) {
        return answerError(new Reject(429, 'Rate limit exceeded'), undefined, { 'retry-after': String(retryAfter) });
      }
      if (connect) {
        if (!Array.isArray(parsed)) throw parsed;
        const call = this.dial(parsed);
        answerCall(call, false);
        this.runHooks(call.dial);
        return;
      }
      const call = this.calls.get(details![2]);
      if (!call) throw new Reject(404, `Call ${details![2]} not found`);
      answerCall(call, parsedUrl.searchParams.get('details') === 'true');
    } catch (err) {
      if (err instanceof Reject) return answerError(err);
      answerError(new Reject(500, `fake Exotel crashed: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private checkAuth(header: string | undefined): boolean {
    const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!match) return false;
    return Buffer.from(match[1], 'base64').toString('utf8') === `${this.apiKey}:${this.apiToken}`;
  }

  /** Sliding window; returns seconds until a slot frees when the limit is reached. */
  private takeRateLimitSlot(): number | undefined {
    const now = this.now();
    while (this.windowHits.length > 0 && this.windowHits[0] <= now - this.rateLimit.windowMs) this.windowHits.shift();
    if (this.windowHits.length >= this.rateLimit.max) {
      return Math.max(1, Math.ceil((this.windowHits[0] + this.rateLimit.windowMs - now) / 1000));
    }
    this.windowHits.push(now);
    return undefined;
  }

  private dial(fields: Array<[string, string]>): FakeCallState {
    const dial = validateDial(fields);
    const stamp = exotelTimestamp(this.now());
    const call: FakeCallState = {
      dial,
      Status: 'in-progress',
      DateCreated: stamp,
      DateUpdated: stamp,
      StartTime: stamp,
      EndTime: null,
      Duration: null,
      Price: null,
      RecordingUrl: null,
      AnsweredBy: null,
      ConversationDuration: 0,
      Legs: [],
    };
    call.Legs = defaultLegs(call);
    this.calls.set(dial.Sid, call);
    return call;
  }

  private runHooks(dial: DialedCall): void {
    for (const hook of this.hooks) {
      const run: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => hook(dial))
        .catch((err: unknown) => {
          this.hookErrors.push(err);
        })
        .finally(() => this.hookRuns.delete(run));
      this.hookRuns.add(run);
    }
  }
}

function defaultLegs(call: FakeCallState): FakeLeg[] {
  const finished = TERMINAL.has(call.Status);
  const legStatus = finished ? call.Status : 'null';
  const legs: FakeLeg[] = [{ Id: 1, OnCallDuration: call.Duration ?? 0, Status: legStatus, AnsweredBy: call.AnsweredBy ?? 'NA' }];
  if (call.dial.mode === 'two-numbers') {
    legs.push({ Id: 2, OnCallDuration: call.ConversationDuration, Status: legStatus, AnsweredBy: call.AnsweredBy ?? 'NA' });
  }
  return legs;
}

/** Checks a Calls/connect form the way Exotel does and returns the dial it describes. */
function validateDial(fields: Array<[string, string]>): DialedCall {
  const values = new Map<string, string>();
  const events: string[] = [];
  for (const [key, value] of fields) {
    if (EVENTS_KEY.test(key)) {
      events.push(...value.split(',').map((v) => v.trim()).filter(Boolean));
      continue;
    }
    if (!FIELDS.includes(key)) {
      const near = FIELDS.find((f) => f.toLowerCase() === key.toLowerCase().replace(/\[\d*\]$/, ''));
      const hint = near ? ` (field names are case-sensitive: did you mean '${near}'?)` : '';
      throw new Reject(400, `Unrecognised parameter '${key}'${hint}`);
    }
    if (values.has(key)) throw new Reject(400, `Parameter '${key}' given more than once`);
    values.set(key, value);
  }
  const get = (k: string) => values.get(k);
  const need = (k: string): string => {
    const v = get(k);
    if (v === undefined || v === '') throw new Reject(400, `Missing parameter: ${k}`);
    return v;
  };
  const forbid = (k: string, why: string) => {
    if (values.has(k)) throw new Reject(400, `${k} ${why}`);
  };

  if (values.has('Url') && values.has('StreamUrl')) throw new Reject(400, 'Url and StreamUrl cannot be used together');
  const mode: DialedCall['mode'] = values.has('Url') ? 'flow' : values.has('To') ? 'two-numbers' : 'voice-ai';
  if (mode === 'voice-ai' && !values.has('StreamUrl')) throw new Reject(400, 'Missing parameter: one of Url, StreamUrl or To');

  const from = need('From');
  const callerId = need('CallerId');
  for (const [k, v] of [['From', from], ['CallerId', callerId], ['To', get('To')]] as const) {
    if (v !== undefined && !NUMBER.test(v)) throw new Reject(400, `${k === 'CallerId' ? 'CallerId' : k} number ${v} is invalid`, 34001);
  }
  if (mode === 'flow') {
    const url = need('Url');
    if (!FLOW_URL.test(url)) throw new Reject(400, 'Url must be an Exotel flow URL (http://my.exotel.com/<account_sid>/exoml/start_voice/<app_id>)');
    forbid('StreamType', 'is only for StreamUrl dials');
    forbid('To', 'cannot be used with Url');
  }
  const streamUrl = get('StreamUrl');
  if (streamUrl !== undefined) {
    if (streamUrl.length > 600) throw new Reject(400, `StreamUrl is longer than 600 characters (${streamUrl.length})`);
    if (!/^wss?:\/\/[^/?#]+/.test(streamUrl)) throw new Reject(400, 'StreamUrl must be a ws:// or wss:// URL');
  }
  if (mode === 'voice-ai' && need('StreamType') !== 'bidirectional') throw new Reject(400, "StreamType must be 'bidirectional'");
  if (mode === 'two-numbers' && values.has('StreamType') && !['bidirectional', 'unidirectional'].includes(get('StreamType')!)) {
    throw new Reject(400, "StreamType must be 'bidirectional' or 'unidirectional'");
  }
  if (mode !== 'flow') forbid('CallType', 'is only for Url (flow) dials');
  oneOf('CallType', get('CallType'), ['trans', 'promo']);
  oneOf('Record', get('Record'), ['true', 'false']);
  oneOf('RecordingChannels', get('RecordingChannels'), ['single', 'dual']);
  oneOf('RecordingFormat', get('RecordingFormat'), ['mp3', 'mp3-hq']);
  oneOf('StatusCallbackContentType', get('StatusCallbackContentType'), ['application/json', 'multipart/form-data']);
  const timeLimit = wholeSeconds('TimeLimit', get('TimeLimit'), 14400);
  const timeOut = wholeSeconds('TimeOut', get('TimeOut'), Infinity);
  if ((get('CustomField') ?? '').length > 128) throw new Reject(400, 'CustomField is longer than 128 characters');
  if ((get('StreamName') ?? '').length > 32) throw new Reject(400, 'StreamName is longer than 32 characters');
  const callback = get('StatusCallback');
  if (callback !== undefined && !/^https?:\/\/[^/?#]+/.test(callback)) throw new Reject(400, 'StatusCallback must be an http(s) URL');
  for (const e of events) {
    if (!['terminal', 'answered', 'ringing'].includes(e)) throw new Reject(400, `Invalid StatusCallbackEvents value '${e}'`);
    if (e === 'ringing' && mode !== 'voice-ai') throw new Reject(400, "StatusCallbackEvents 'ringing' is only for StreamUrl dials");
  }

  const all = Object.fromEntries(values);
  if (events.length > 0) all.StatusCallbackEvents = events.join(',');
  return {
    Sid: randomBytes(16).toString('hex'),
    mode,
    From: from,
    CallerId: callerId,
    StatusCallbackEvents: [...new Set(events)] as StatusCallbackEvent[],
    fields: all,
    ...optional({
      To: get('To'),
      Url: get('Url'),
      StreamUrl: streamUrl,
      StreamType: get('StreamType'),
      StreamName: get('StreamName'),
      CustomField: get('CustomField'),
      StatusCallback: callback,
      StatusCallbackContentType: get('StatusCallbackContentType'),
      TimeLimit: timeLimit,
      TimeOut: timeOut,
      Record: values.has('Record') ? get('Record') === 'true' : undefined,
    }),
  };
}

function optional<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function oneOf(field: string, value: string | undefined, allowed: string[]): void {
  if (value !== undefined && !allowed.includes(value)) throw new Reject(400, `${field} must be one of ${allowed.join(', ')}; got '${value}'`);
}

function wholeSeconds(field: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new Reject(400, `${field} must be a whole number of seconds${Number.isFinite(max) ? ` up to ${max}` : ''}; got '${value}'`);
  }
  return n;
}

async function formFields(contentType: string | undefined, raw: Buffer): Promise<Array<[string, string]>> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return [...new URLSearchParams(raw.toString('utf8'))];
  if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': contentType! } }).formData();
    } catch {
      throw new Reject(400, 'Malformed multipart/form-data body');
    }
    return [...form.entries()].map(([k, v]) => {
      if (typeof v !== 'string') throw new Reject(400, `Parameter '${k}' is a file upload`);
      return [k, v];
    });
  }
  throw new Reject(400, `Unsupported Content-Type '${type || '(none)'}': send application/x-www-form-urlencoded or multipart/form-data`);
}

function maskedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    out[k] = k === 'authorization' ? `${value.split(' ')[0]} ***` : value;
  }
  return out;
}

function callView(call: FakeCallState, accountSid: string, json: boolean, withDetails: boolean): Record<string, unknown> {
  const { dial } = call;
  const uri = `/v1/Accounts/${accountSid}/Calls/${dial.Sid}`;
  const view: Record<string, unknown> = {
    Sid: dial.Sid,
    ParentCallSid: null,
    DateCreated: call.DateCreated,
    DateUpdated: call.DateUpdated,
    AccountSid: accountSid,
    To: dial.To ?? null,
    From: dial.From,
    PhoneNumberSid: dial.CallerId,
    Status: call.Status,
    StartTime: call.StartTime,
    EndTime: call.EndTime,
    // Exotel gives Duration as a string in call details (spec §7.5).
    Duration: call.Duration === null ? null : String(call.Duration),
    Price: call.Price,
    Direction: 'outbound-api',
    AnsweredBy: call.AnsweredBy,
    ForwardedFrom: null,
    CallerName: null,
    Uri: json ? `${uri}.json` : uri,
    RecordingUrl: call.RecordingUrl,
  };
  if (!json) view.SubResourceUris = { Notifications: `${uri}/Notifications`, Stream: `${uri}/Stream` };
  if (withDetails) {
    view.Details = {
      ConversationDuration: call.ConversationDuration,
      Leg1Status: call.Legs[0]?.Status ?? null,
      Leg2Status: call.Legs[1]?.Status ?? null,
      Legs: call.Legs.map((l) => ({ Leg: { Id: l.Id, OnCallDuration: l.OnCallDuration } })),
    };
  }
  return view;
}

function restException(err: Reject): Record<string, unknown> {
  return { Status: err.status, Message: err.message, ...(err.code !== undefined ? { Code: err.code } : {}) };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlElement(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}/>`;
  if (Array.isArray(value)) return `<${name}>${value.map((item) => xmlChildren(item)).join('')}</${name}>`;
  if (typeof value === 'object') return `<${name}>${xmlChildren(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function xmlChildren(value: unknown): string {
  if (value === null || typeof value !== 'object') return escapeXml(String(value));
  return Object.entries(value).map(([k, v]) => xmlElement(k, v)).join('');
}

function xmlDocument(body: Record<string, unknown>): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TwilioResponse>${xmlChildren(body)}</TwilioResponse>\n`;
}

function htmlError(status: number, message: string): string {
  const title = `${status} ${escapeXml(message)}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

/** Flattens callback fields the way form bodies carry them: `Legs[0][Status]`, nulls as empty strings. */
export function statusCallbackFormPairs(fields: StatusCallbackFields): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key === 'Legs' && Array.isArray(value)) {
      value.forEach((leg: StatusCallbackLeg, i) => {
        for (const [lk, lv] of Object.entries(leg)) if (lv !== undefined) pairs.push([`Legs[${i}][${lk}]`, String(lv)]);
      });
      continue;
    }
    pairs.push([key, value === null ? '' : String(value)]);
  }
  return pairs;
}

/** Posts a status callback like Exotel: no signature, no Authorization header, body in the given encoding. */
export async function postStatusCallback(url: string, fields: StatusCallbackFields, encoding: CallbackEncoding): Promise<CallbackDelivery> {
  let body: string | FormData;
  const headers: Record<string, string> = {};
  if (encoding === 'json') {
    body = JSON.stringify(fields);
    headers['content-type'] = 'application/json';
  } else if (encoding === 'form') {
    body = new URLSearchParams(statusCallbackFormPairs(fields)).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    const form = new FormData();
    for (const [k, v] of statusCallbackFormPairs(fields)) form.append(k, v);
    body = form; // fetch sets multipart/form-data with its boundary
  }
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}
