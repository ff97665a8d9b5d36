import { z } from 'zod';
import { maskUrl } from '../observability/redact.js';
import { PhoneNumberError, toExotelNumber } from './phone-number.js';

/**
 * Exotel's v1 Calls REST API over `fetch` (spec §7): `Calls/connect` in its flow and Connect Voice AI modes,
 * and call details. Paths and field names are TitleCase (Exotel is case-sensitive), bodies form-encoded,
 * answers always asked for as JSON (`.json`). Dials are never retried unless Exotel certainly never saw them.
 */

/** Limits Exotel documents for `Calls/connect` (spec §7.2); checked before anything is sent. */
export const EXOTEL_LIMITS = {
  streamUrlChars: 600,
  customFieldChars: 128,
  streamNameChars: 32,
  timeLimitSec: 14400,
} as const;

export type ExotelErrorKind =
  /** Our own check refused the request; nothing was sent. */
  | 'invalid-request'
  /** Exotel answered 4xx (400 bad parameters, 401 credentials, 403 not enabled, 404 unknown resource). */
  | 'rejected'
  | 'rate-limited'
  /** No answer within `timeoutMs`: the request may have been acted on (a dial may have been placed). */
  | 'timeout'
  /** Connection refused or DNS failure: the request certainly did not reach Exotel. */
  | 'unreachable'
  /** The connection broke after the request was sent: outcome unknown, like a timeout. */
  | 'connection-lost'
  | 'server'
  /** Exotel answered something we do not understand (not JSON, wrong shape, a redirect). */
  | 'bad-response';

export class ExotelApiError extends Error {
  readonly kind: ExotelErrorKind;
  readonly httpStatus: number | undefined;
  /** `RestException.Message` (or the text found in an XML/HTML error page). */
  readonly exotelMessage: string | undefined;
  readonly exotelCode: string | number | undefined;
  /** From Retry-After on a 429. */
  readonly retryAfterSec: number | undefined;
  readonly method: string;
  /** Request URL with any credentials masked. */
  readonly url: string;
  /** Requests made before giving up (2 when one retry happened). */
  readonly attempts: number;

  constructor(
    message: string,
    details: {
      kind: ExotelErrorKind;
      method: string;
      url: string;
      attempts: number;
      httpStatus?: number;
      exotelMessage?: string;
      exotelCode?: string | number;
      retryAfterSec?: number;
      cause?: unknown;
    },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ExotelApiError';
    this.kind = details.kind;
    this.method = details.method;
    this.url = details.url;
    this.attempts = details.attempts;
    this.httpStatus = details.httpStatus;
    this.exotelMessage = details.exotelMessage;
    this.exotelCode = details.exotelCode;
    this.retryAfterSec = details.retryAfterSec;
  }

  /** False only when Exotel certainly never saw the request; a dial that failed this way placed no call. */
  get mayHaveReachedExotel(): boolean {
    return this.kind !== 'invalid-request' && this.kind !== 'unreachable';
  }
}

export interface ExotelRestClientOptions {
  apiKey: string;
  apiToken: string;
  accountSid: string;
  /** `api.in.exotel.com` (Mumbai) or `api.exotel.com` (Singapore). */
  subdomain: string;
  /** Overrides `https://<subdomain>`, e.g. a local fake in tests. */
  baseUrl?: string;
  /** Per request, including reading the answer. Default 10000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Pause before the single retry allowed. Default 500 ms. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type StatusCallbackEvent = 'terminal' | 'answered' | 'ringing';

interface ConnectCallCommon {
  /** The number Exotel dials (the customer). Any form `normalizePhoneNumber` accepts; sent as `toExotelNumber` writes it. */
  from: string;
  /** Your ExoPhone. */
  callerId: string;
  /** ≤128 chars; handed to applets, dynamic URLs and the terminal StatusCallback. */
  customField?: string;
  statusCallback?: string;
  statusCallbackEvents?: StatusCallbackEvent[];
  /** Exotel posts multipart/form-data unless told 'application/json'. */
  statusCallbackContentType?: 'application/json' | 'multipart/form-data';
  /** Maximum call length, 1..14400 s. */
  timeLimitSec?: number;
  record?: boolean;
  recordingChannels?: 'single' | 'dual';
}

/** Dial `from`, then run an App Bazaar flow (with a Voicebot applet in it). */
export interface FlowCallRequest extends ConnectCallCommon {
  mode: 'flow';
  /** The flow's app id: Url = http://my.exotel.com/<accountSid>/exoml/start_voice/<appId>. */
  appId: string;
  /** Ring timeout, seconds. */
  timeOutSec?: number;
}

/** Connect Voice AI: dial `from` and stream the call to `streamUrl` (bidirectional). */
export interface VoiceAiCallRequest extends ConnectCallCommon {
  mode: 'voice-ai';
  /** `ws://` or `wss://`, ≤600 chars, sent byte for byte. */
  streamUrl: string;
  /** ≤32 chars. */
  streamName?: string;
}

export type ConnectCallRequest = FlowCallRequest | VoiceAiCallRequest;

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'failed' | 'busy' | 'no-answer' | 'canceled';

const text = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null ? null : String(v)));

const count = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === '') return null;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

const legSchema = z.object({
  Leg: z.object({ Id: count, OnCallDuration: count, Status: text, AnsweredBy: text }),
});

const detailsSchema = z.object({
  ConversationDuration: count,
  Leg1Status: text,
  Leg2Status: text,
  Legs: z.array(legSchema).optional().transform((v) => v ?? []),
});

// Status stays an open string: a status word we do not know yet must not turn a placed call into an error.
const callSchema = z.object({
  Sid: z.string().min(1),
  ParentCallSid: text,
  DateCreated: text,
  DateUpdated: text,
  AccountSid: text,
  To: text,
  From: text,
  PhoneNumberSid: text,
  Status: z.string().min(1),
  StartTime: text,
  EndTime: text,
  Duration: count,
  Price: text,
  Direction: text,
  AnsweredBy: text,
  ForwardedFrom: text,
  CallerName: text,
  Uri: text,
  RecordingUrl: text,
  Details: detailsSchema.optional(),
});

const callResponseSchema = z.object({ Call: callSchema });

/** A call as Exotel describes it (same field names as its JSON); durations are numbers, empty values null. */
export type ExotelCall = Omit<z.output<typeof callSchema>, 'Status'> & { Status: CallStatus | (string & {}) };
export type ExotelCallDetails = z.output<typeof detailsSchema>;

const FLOW_URL_BASE = 'http://my.exotel.com';
const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type RetryPolicy = 'dial' | 'read';

interface Target {
  method: 'GET' | 'POST';
  url: string;
  maskedUrl: string;
  what: string;
}

export class ExotelRestClient {
  private readonly base: string;
  private readonly authorization: string;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly connectTarget: Target;
  readonly accountSid: string;

  constructor(options: ExotelRestClientOptions) {
    for (const key of ['apiKey', 'apiToken', 'accountSid'] as const) {
      if (!options[key]) throw new Error(`ExotelRestClient: ${key} is required`);
    }
    if (!SAFE_SEGMENT.test(options.accountSid)) throw new Error('ExotelRestClient: accountSid may only hold letters, digits, _ and -');
    if (!options.baseUrl && !options.subdomain) throw new Error('ExotelRestClient: subdomain (or baseUrl) is required');
    // fetch refuses URLs with userinfo, and echoing this one back would leak it: say so without quoting it.
    if (options.baseUrl && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(options.baseUrl)) {
      throw new Error('ExotelRestClient: baseUrl must not contain credentials; pass apiKey/apiToken');
    }
    this.accountSid = options.accountSid;
    this.base = (options.baseUrl ?? `https://${options.subdomain}`).replace(/\/+$/, '');
    const basic = Buffer.from(`${options.apiKey}:${options.apiToken}`).toString('base64');
    this.authorization = `Basic ${basic}`;
    // Anything that could echo a credential back into an error message gets these replaced.
    this.secrets = [basic, options.apiToken, options.apiKey, encodeURIComponent(options.apiToken), encodeURIComponent(options.apiKey)]
      .filter((s) => s.length >= 4)
      .sort((a, b) => b.length - a.length);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.connectTarget = this.target('POST', `/v1/Accounts/${this.accountSid}/Calls/connect.json`, 'dial');
  }

  /** The fields `connectCall` would send, in order; throws `invalid-request` errors. */
  buildConnectForm(req: ConnectCallRequest): URLSearchParams {
    const target = this.connectTarget;
    const invalid = (message: string, cause?: unknown): never => {
      throw new ExotelApiError(`Exotel dial not sent: ${message}`, { kind: 'invalid-request', method: target.method, url: target.maskedUrl, attempts: 0, cause });
    };
    const number = (field: string, value: string): string => {
      try {
        return toExotelNumber(value);
      } catch (err) {
        if (err instanceof PhoneNumberError) return invalid(`${field}: ${err.message}`, err);
        throw err;
      }
    };

    const form = new URLSearchParams();
    form.append('From', number('From', req.from));
    form.append('CallerId', number('CallerId', req.callerId));
    if (req.mode === 'voice-ai') {
      checkStreamUrl(req.streamUrl, invalid);
      form.append('StreamUrl', req.streamUrl);
      form.append('StreamType', 'bidirectional');
      if (req.streamName !== undefined) {
        if (req.streamName.length > EXOTEL_LIMITS.streamNameChars) invalid(`StreamName is longer than ${EXOTEL_LIMITS.streamNameChars} characters`);
        form.append('StreamName', req.streamName);
      }
    } else if (req.mode === 'flow') {
      if (!SAFE_SEGMENT.test(req.appId)) invalid(`appId ${JSON.stringify(req.appId)} is not a flow app id`);
      form.append('Url', `${FLOW_URL_BASE}/${this.accountSid}/exoml/start_voice/${req.appId}`);
      form.append('CallType', 'trans');
      if (req.timeOutSec !== undefined) form.append('TimeOut', String(positiveInt('TimeOut', req.timeOutSec, Infinity, invalid)));
    } else {
      invalid(`unknown mode ${JSON.stringify((req as { mode: unknown }).mode)} (expected 'flow' or 'voice-ai')`);
    }
    if (req.record !== undefined) form.append('Record', String(req.record));
    if (req.recordingChannels !== undefined) form.append('RecordingChannels', req.recordingChannels);
    if (req.timeLimitSec !== undefined) form.append('TimeLimit', String(positiveInt('TimeLimit', req.timeLimitSec, EXOTEL_LIMITS.timeLimitSec, invalid)));
    if (req.customField !== undefined) {
      if (req.customField.length > EXOTEL_LIMITS.customFieldChars) invalid(`CustomField is longer than ${EXOTEL_LIMITS.customFieldChars} characters`);
      form.append('CustomField', req.customField);
    }
    if (req.statusCallback !== undefined) {
      if (!/^https?:$/.test(parseUrl(req.statusCallback)?.protocol ?? '')) invalid('StatusCallback must be an absolute http(s) URL');
      form.append('StatusCallback', req.statusCallback);
    }
    const events = [...new Set(req.statusCallbackEvents ?? [])];
    events.forEach((event, i) => {
      if (!['terminal', 'answered', 'ringing'].includes(event)) invalid(`unknown StatusCallbackEvents value ${JSON.stringify(event)}`);
      if (event === 'ringing' && req.mode !== 'voice-ai') invalid("the 'ringing' status callback exists only for Connect Voice AI calls");
      // The indexed spelling is the one pinned against a live dial (spec §7.2, §15.5).
      form.append(`StatusCallbackEvents[${i}]`, event);
    });
    if (req.statusCallbackContentType !== undefined) form.append('StatusCallbackContentType', req.statusCallbackContentType);
    return form;
  }

  /** Places an outbound call. Never retried unless the request certainly did not reach Exotel. */
  async connectCall(req: ConnectCallRequest): Promise<ExotelCall> {
    const form = this.buildConnectForm(req);
    const body = await this.send(this.connectTarget, form, 'dial');
    return this.parseCall(body, this.connectTarget);
  }

  /** A call's current state; `details` adds `Details` (legs, conversation duration). Retried once on timeout/5xx. */
  async getCall(callSid: string, options: { details?: boolean } = {}): Promise<ExotelCall> {
    const query = options.details ? '?details=true' : '';
    const target = this.target('GET', `/v1/Accounts/${this.accountSid}/Calls/${encodeURIComponent(callSid)}.json${query}`, 'call details');
    if (!SAFE_SEGMENT.test(callSid)) {
      throw new ExotelApiError(`Exotel call details not requested: ${JSON.stringify(callSid)} is not a call Sid`, {
        kind: 'invalid-request',
        method: target.method,
        url: target.maskedUrl,
        attempts: 0,
      });
    }
    const body = await this.send(target, undefined, 'read');
    const call = this.parseCall(body, target);
    if (call.Sid !== callSid) {
      throw this.error(target, 1, 'bad-response', `answer is about call ${call.Sid}, not ${callSid}`, {});
    }
    return call;
  }

  private target(method: 'GET' | 'POST', path: string, what: string): Target {
    const url = this.base + path;
    return { method, url, maskedUrl: this.scrub(maskUrl(url)), what };
  }

  private async send(target: Target, form: URLSearchParams | undefined, policy: RetryPolicy): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(target, form, attempt);
      } catch (err) {
        if (attempt >= 2 || !(err instanceof ExotelApiError) || !retryable(err.kind, policy)) throw err;
        await this.sleep(this.retryDelayMs);
      }
    }
  }

  private async once(target: Target, form: URLSearchParams | undefined, attempt: number): Promise<unknown> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const failure = (err: unknown, phase: 'request' | 'answer'): ExotelApiError => {
      if (timedOut) return this.error(target, attempt, 'timeout', `no answer within ${this.timeoutMs} ms`, { cause: err });
      const code = errorCode(err);
      if (phase === 'request' && code !== undefined && UNREACHABLE_CODES.has(code)) {
        return this.error(target, attempt, 'unreachable', `could not connect (${code})`, { cause: err });
      }
      return this.error(target, attempt, 'connection-lost', `connection lost ${phase === 'request' ? 'before an answer' : 'while reading the answer'} (${code ?? describe(err)})`, { cause: err });
    };
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(target.url, {
          method: target.method,
          headers: {
            authorization: this.authorization,
            accept: 'application/json',
            ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body: form?.toString(),
          signal: controller.signal,
          redirect: 'manual',
        });
      } catch (err) {
        throw failure(err, 'request');
      }
      let raw: string;
      try {
        raw = await res.text();
      } catch (err) {
        throw failure(err, 'answer');
      }
      return this.interpret(target, attempt, res, raw);
    } finally {
      clearTimeout(timer);
    }
  }

  private interpret(target: Target, attempt: number, res: Response, raw: string): unknown {
    const json = parseJson(raw);
    const problem = json !== undefined ? restException(json) : errorFromMarkup(raw);
    const status = res.status;
    if (status >= 200 && status < 300 && !(json !== undefined && problem)) {
      if (json === undefined) {
        const type = res.headers.get('content-type') ?? 'no content type';
        return this.fail(target, attempt, 'bad-response', `expected JSON, got ${type}: ${snippet(raw)}`, { httpStatus: status });
      }
      return json;
    }
    const httpStatus = status >= 200 && status < 300 ? Number(problem?.status) || status : status;
    const kind: ExotelErrorKind =
      httpStatus === 429 ? 'rate-limited' : httpStatus >= 500 ? 'server' : httpStatus >= 400 ? 'rejected' : 'bad-response';
    const retryAfterSec = kind === 'rate-limited' ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    const message = problem?.message ?? (raw.trim() ? snippet(raw) : 'empty body');
    const code = problem?.code !== undefined ? ` [code ${problem.code}]` : '';
    const wait = retryAfterSec !== undefined ? ` (retry after ${retryAfterSec} s)` : '';
    return this.fail(target, attempt, kind, `${message}${code}${wait}`, {
      httpStatus,
      exotelMessage: problem?.message,
      exotelCode: problem?.code,
      retryAfterSec,
    });
  }

  private parseCall(body: unknown, target: Target): ExotelCall {
    const parsed = callResponseSchema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw this.error(target, 1, 'bad-response', `answer is not a Call: ${issues}; got ${snippet(JSON.stringify(body))}`, {});
    }
    return parsed.data.Call;
  }

  private fail(target: Target, attempt: number, kind: ExotelErrorKind, detail: string, extra: ErrorExtra): never {
    throw this.error(target, attempt, kind, detail, extra);
  }

  private error(target: Target, attempt: number, kind: ExotelErrorKind, detail: string, extra: ErrorExtra): ExotelApiError {
    const http = extra.httpStatus !== undefined ? `HTTP ${extra.httpStatus}, ` : '';
    const message = this.scrub(`Exotel ${target.what} failed (${kind}): ${detail} [${http}${target.method} ${target.maskedUrl}]`);
    return new ExotelApiError(message, {
      kind,
      method: target.method,
      url: target.maskedUrl,
      attempts: attempt,
      ...extra,
      exotelMessage: extra.exotelMessage === undefined ? undefined : this.scrub(extra.exotelMessage),
    });
  }

  private scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }
}

interface ErrorExtra {
  httpStatus?: number;
  exotelMessage?: string;
  exotelCode?: string | number;
  retryAfterSec?: number;
  cause?: unknown;
}

function retryable(kind: ExotelErrorKind, policy: RetryPolicy): boolean {
  if (kind === 'unreachable') return true;
  // A dial that may have reached Exotel may have placed a call: repeating it could ring the customer twice.
  if (policy === 'dial') return false;
  return kind === 'timeout' || kind === 'server' || kind === 'connection-lost';
}

function checkStreamUrl(url: string, invalid: (message: string) => never): void {
  if (url.length > EXOTEL_LIMITS.streamUrlChars) {
    invalid(`StreamUrl is ${url.length} characters; Exotel accepts at most ${EXOTEL_LIMITS.streamUrlChars}`);
  }
  const protocol = parseUrl(url)?.protocol;
  if (protocol !== 'ws:' && protocol !== 'wss:') invalid('StreamUrl must be an absolute ws:// or wss:// URL');
}

function positiveInt(field: string, value: number, max: number, invalid: (message: string) => never): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    invalid(`${field} must be a whole number of seconds from 1${Number.isFinite(max) ? ` to ${max}` : ''}, got ${value}`);
  }
  return value;
}

function parseUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function parseJson(raw: string): unknown {
  const t = raw.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

interface Problem {
  status?: string | number;
  message?: string;
  code?: string | number;
}

function restException(json: unknown): Problem | undefined {
  if (!json || typeof json !== 'object' || !('RestException' in json)) return undefined;
  const ex = (json as { RestException: unknown }).RestException;
  if (!ex || typeof ex !== 'object') return { message: String(ex) };
  const { Status, Message, Code } = ex as Record<string, unknown>;
  return {
    status: typeof Status === 'number' || typeof Status === 'string' ? Status : undefined,
    message: typeof Message === 'string' ? Message : undefined,
    code: typeof Code === 'number' || typeof Code === 'string' ? Code : undefined,
  };
}

/** `<RestException>` in XML, or the title/text of an HTML error page from a proxy. */
function errorFromMarkup(raw: string): Problem | undefined {
  const tag = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'i').exec(raw)?.[1]?.trim();
  if (/<RestException>/i.test(raw)) {
    const code = tag('Code');
    return { status: tag('Status'), message: tag('Message') && decodeEntities(tag('Message')!), code };
  }
  if (/<html[\s>]/i.test(raw)) {
    const title = tag('title') ?? tag('h1');
    return { message: `HTML page: ${decodeEntities(title ?? snippet(raw.replace(/<[^>]*>/g, ' ')))}` };
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

function snippet(s: string, max = 200): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The system error code behind a fetch failure (undici wraps it in `cause`, sometimes in an AggregateError). */
function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    queue.push((e as { cause?: unknown }).cause, ...((e as { errors?: unknown[] }).errors ?? []));
  }
  return undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
