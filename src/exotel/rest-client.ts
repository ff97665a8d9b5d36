import { maskUrl } from '../observability/redact.js';
import { buildConnectForm, SAFE_SEGMENT, type ConnectCallRequest } from './connect-form.js';
import { ExotelApiError, retryable, transportFailure, type Failure, type RetryPolicy } from './rest-errors.js';
import { interpretAnswer, parseCallAnswer, type ExotelCall } from './rest-responses.js';

// What the client returns and throws, so its users need one import.
export { ExotelApiError, type ExotelErrorKind } from './rest-errors.js';
export type { ExotelCall } from './rest-responses.js';

/**
 * Exotel's v1 Calls REST API over `fetch` (spec §7): `Calls/connect` and call details, with Basic auth,
 * a per-request timeout, and at most one retry. Answers are always asked for as JSON (`.json`). Dials are
 * never retried unless Exotel certainly never saw them.
 */

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

  /** Places an outbound call. Never retried unless the request certainly did not reach Exotel. */
  async connectCall(req: ConnectCallRequest): Promise<ExotelCall> {
    const target = this.connectTarget;
    const form = buildConnectForm(this.accountSid, req, (message, cause) => {
      throw new ExotelApiError(`Exotel dial not sent: ${message}`, { kind: 'invalid-request', method: target.method, url: target.maskedUrl, attempts: 0, cause });
    });
    const body = await this.send(target, form, 'dial');
    return this.parseCall(body, target);
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
      throw this.error(target, 1, { kind: 'bad-response', detail: `answer is about call ${call.Sid}, not ${callSid}` });
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
    const failure = (err: unknown, phase: 'request' | 'answer'): ExotelApiError =>
      this.error(target, attempt, transportFailure(err, phase, timedOut ? this.timeoutMs : undefined));
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
      const answer = interpretAnswer({ status: res.status, contentType: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after'), raw });
      if ('failure' in answer) throw this.error(target, attempt, answer.failure);
      return answer.json;
    } finally {
      clearTimeout(timer);
    }
  }

  private parseCall(body: unknown, target: Target): ExotelCall {
    const parsed = parseCallAnswer(body);
    if ('failure' in parsed) throw this.error(target, 1, parsed.failure);
    return parsed.call;
  }

  private error(target: Target, attempt: number, failure: Failure): ExotelApiError {
    const { kind, detail, ...extra } = failure;
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
