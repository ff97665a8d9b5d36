import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/env.js';
import type { ConnectCallRequest } from '../exotel/connect-form.js';
import { isValidId } from '../exotel/identifiers.js';
import { ExotelApiError, type ExotelRestClient } from '../exotel/rest-client.js';
import { normalizePhoneNumber, PhoneNumberError, sameNumber } from '../exotel/phone-number.js';
import { signCallToken } from '../exotel/call-token.js';
import { statusCallbackUrl, toWebSocketBase } from '../exotel/call-urls.js';
import { CallLogIdConflictError } from '../store/errors.js';
import type { CallRecord, CallStatus, CallStore } from '../store/call-store.js';
import type { DialLimiter } from './rate-limiter.js';

export interface DialRequest {
  to: string;
  from?: string;
  callLogId?: string;
  agent?: string;
}

export interface DialResult {
  callSid: string | null;
  status: CallStatus;
  callLogId: string;
  /** Our call-record id. */
  id: string;
  /** False when an earlier request with the same callLogId already placed (or tried) this call. */
  created: boolean;
}

/** A refusal with the HTTP status `POST /call` answers with. */
export class DialError extends Error {
  override name = 'DialError';
  constructor(
    readonly httpStatus: number,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

/** Which configuration an outbound call needs and lacks. */
export function missingDialConfig(config: Config): string[] {
  const e = config.exotel;
  const missing: string[] = [];
  if (!e.apiKey) missing.push('EXOTEL_API_KEY');
  if (!e.apiToken) missing.push('EXOTEL_API_TOKEN');
  if (!e.sid) missing.push('EXOTEL_SID');
  if (!e.subdomain && !e.apiBaseUrl) missing.push('EXOTEL_SUBDOMAIN');
  if (e.connectMode === 'flow' && !e.appId) missing.push('EXOTEL_APP_ID');
  if (!config.publicBaseUrl) missing.push('WEBHOOK_BASE_URL');
  return missing;
}

/**
 * Places outbound calls through Exotel: validates numbers, keeps `callLogId` idempotent (one dial per id, even
 * for racing requests), limits the dial rate, records every attempt, and turns Exotel's answers into HTTP ones.
 */
export class OutboundDialer {
  /** Dials in flight by callLogId, so a racing duplicate waits for the first one's outcome. */
  private readonly inFlight = new Map<string, Promise<DialResult>>();

  constructor(
    private readonly deps: {
      config: Config;
      store: CallStore;
      rest: ExotelRestClient | undefined;
      limiter: DialLimiter;
      log: Logger;
    },
  ) {}

  async dial(req: DialRequest): Promise<DialResult> {
    const { config, store, limiter } = this.deps;
    const missing = missingDialConfig(config);
    if (missing.length > 0 || !this.deps.rest) {
      throw new DialError(503, `outbound calls are not configured: set ${missing.join(', ')}`);
    }
    const to = this.number('to', req.to);
    const callerId = req.from ?? config.exotel.callerId;
    if (!callerId) throw new DialError(503, 'outbound calls are not configured: set EXOTEL_CALLER_ID or send "from"');
    const from = this.number('from', callerId);
    if (sameNumber(to, from)) throw new DialError(400, `"to" (${to}) is the caller id itself`);
    if (req.callLogId !== undefined && !isValidId('callLogId', req.callLogId)) {
      throw new DialError(400, 'callLogId must be 1-64 letters, digits, "_", "-", "." or ":"');
    }
    const callLogId = req.callLogId ?? randomUUID();

    // A repeat of a known callLogId answers with the first call: no rate limit, no second dial.
    const pending = this.inFlight.get(callLogId);
    if (pending) return { ...(await pending), created: false };
    const known = req.callLogId ? await store.get(callLogId) : null;
    if (known && known.callLogId === callLogId) return this.resultOf(known, false);

    const slot = await limiter.take();
    if (!slot.ok) {
      throw new DialError(429, `outbound call rate limit (${config.exotel.callsPerMinute}/min) reached`, Math.ceil(slot.retryAfterMs / 1000));
    }
    let created;
    try {
      created = await store.createOrGetByCallLogId({ direction: 'outbound', to, from, callLogId, status: 'queued', ...(req.agent ? { agent: req.agent } : {}) });
    } catch (err) {
      if (err instanceof CallLogIdConflictError) throw new DialError(409, err.message);
      throw err;
    }
    if (!created.created) {
      // Another request placed it: on this node (wait for its outcome), or on another (the record as it is).
      const first = this.inFlight.get(callLogId);
      return first ? { ...(await first), created: false } : this.resultOf(created.record, false);
    }
    const dialing = this.place(created.record, to, from, req);
    this.inFlight.set(callLogId, dialing);
    try {
      return await dialing;
    } finally {
      this.inFlight.delete(callLogId);
    }
  }

  private async place(record: CallRecord, to: string, from: string, req: DialRequest): Promise<DialResult> {
    const { config, store, log } = this.deps;
    const e = config.exotel;
    const base = config.publicBaseUrl!;
    const common = {
      from: to, // Exotel's `From` is the number it dials first: the customer.
      callerId: from,
      // Exotel hands CustomField to the flow's applets and the terminal callback: the caller's own id for the
      // call when it gave one (the store finds a record by it as by our id), else our record id.
      customField: req.callLogId ?? record.id,
      statusCallback: statusCallbackUrl(base, config.callbackSecret!, record.id),
      statusCallbackEvents: ['terminal', 'answered'] as ('terminal' | 'answered')[],
      statusCallbackContentType: 'application/json' as const,
      ...(e.timeLimitSec ? { timeLimitSec: e.timeLimitSec } : {}),
    };
    const request: ConnectCallRequest =
      e.connectMode === 'voice-ai'
        ? { ...common, mode: 'voice-ai', streamUrl: this.streamUrl(record.id, req.agent) }
        : { ...common, mode: 'flow', appId: e.appId!, ...(e.ringTimeoutSec ? { timeOutSec: e.ringTimeoutSec } : {}) };
    store.appendEvent(record.id, { type: 'dial', data: { mode: e.connectMode, to, from } });
    try {
      const call = await this.deps.rest!.connectCall(request);
      store.attachCallSid(record.id, call.Sid);
      store.update(record.id, { status: 'dialing', exotelStatus: call.Status });
      store.appendEvent(record.id, { type: 'dial-accepted', data: { callSid: call.Sid, exotelStatus: call.Status } });
      return { id: record.id, callSid: call.Sid, status: 'dialing', callLogId: record.callLogId!, created: true };
    } catch (err) {
      if (!(err instanceof ExotelApiError)) throw err;
      log.warn({ kind: err.kind, httpStatus: err.httpStatus, exotelMessage: err.exotelMessage, callId: record.id }, 'Exotel dial failed');
      store.appendEvent(record.id, {
        type: 'dial-error',
        data: { kind: err.kind, httpStatus: err.httpStatus, message: err.exotelMessage ?? err.message, mayHaveReachedExotel: err.mayHaveReachedExotel },
      });
      // A timeout may still have placed the call: its status callback (which carries our token) settles it.
      if (!err.mayHaveReachedExotel || err.kind === 'rejected' || err.kind === 'rate-limited') store.update(record.id, { status: 'failed' });
      throw toDialError(err);
    }
  }

  private streamUrl(recordId: string, agent: string | undefined): string {
    const { config } = this.deps;
    const q = new URLSearchParams({ call_id: recordId });
    if (config.sampleRate !== 8000) q.set('sample-rate', String(config.sampleRate));
    if (agent) q.set('agent', agent);
    if (config.wsToken) {
      // Valid through ringing, the whole call and Exotel's one reconnect.
      const ttl = (config.exotel.timeLimitSec || 4 * 3600) + 3600;
      q.set('token', signCallToken(config.wsToken, 'ws', recordId, ttl));
    }
    return `${toWebSocketBase(config.publicBaseUrl!)}${config.wsPath}?${q}`;
  }

  private resultOf(record: CallRecord, created: boolean): DialResult {
    return { id: record.id, callSid: record.callSid, status: record.status, callLogId: record.callLogId!, created };
  }

  private number(field: string, value: string): string {
    try {
      return normalizePhoneNumber(value);
    } catch (err) {
      if (err instanceof PhoneNumberError) throw new DialError(400, `"${field}": ${err.reason}`);
      throw err;
    }
  }
}

function toDialError(err: ExotelApiError): DialError {
  const said = err.exotelMessage ?? err.message;
  switch (err.kind) {
    case 'invalid-request':
      return new DialError(400, said);
    case 'rejected':
      return err.httpStatus === 400 || err.httpStatus === 401 || err.httpStatus === 403
        ? new DialError(err.httpStatus, `Exotel refused the call: ${said}`)
        : new DialError(502, `Exotel answered ${err.httpStatus}: ${said}`);
    case 'rate-limited':
      return new DialError(503, `Exotel is rate-limiting calls: ${said}`, err.retryAfterSec ?? 60);
    case 'timeout':
    case 'connection-lost':
      return new DialError(504, `no answer from Exotel in time; the call may still have been placed (its status callback will tell): ${said}`);
    default:
      return new DialError(502, `Exotel could not be asked to place the call: ${said}`);
  }
}
