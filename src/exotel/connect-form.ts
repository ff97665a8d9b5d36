import { PhoneNumberError, toExotelNumber } from './phone-number.js';

/**
 * The form body of Exotel's `Calls/connect` (spec §7.2), in its flow and Connect Voice AI modes: TitleCase
 * field names (Exotel is case-sensitive), every documented limit checked before anything is sent.
 */

/** Limits Exotel documents for `Calls/connect` (spec §7.2); checked before anything is sent. */
export const EXOTEL_LIMITS = {
  streamUrlChars: 600,
  customFieldChars: 128,
  streamNameChars: 32,
  timeLimitSec: 14400,
} as const;

/** Account and call Sids, flow app ids: they become URL path segments, so only these characters. */
export const SAFE_SEGMENT = /^[A-Za-z0-9_-]+$/;

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

/** Refuses the request with this reason (never returns). */
export type Refuse = (message: string, cause?: unknown) => never;

const FLOW_URL_BASE = 'http://my.exotel.com';

/** The fields a dial sends, in order; calls `refuse` on anything Exotel would reject or misread. */
export function buildConnectForm(accountSid: string, req: ConnectCallRequest, refuse: Refuse): URLSearchParams {
  const number = (field: string, value: string): string => {
    try {
      return toExotelNumber(value);
    } catch (err) {
      if (err instanceof PhoneNumberError) return refuse(`${field}: ${err.message}`, err);
      throw err;
    }
  };

  const form = new URLSearchParams();
  form.append('From', number('From', req.from));
  form.append('CallerId', number('CallerId', req.callerId));
  if (req.mode === 'voice-ai') {
    checkStreamUrl(req.streamUrl, refuse);
    form.append('StreamUrl', req.streamUrl);
    form.append('StreamType', 'bidirectional');
    if (req.streamName !== undefined) {
      if (req.streamName.length > EXOTEL_LIMITS.streamNameChars) refuse(`StreamName is longer than ${EXOTEL_LIMITS.streamNameChars} characters`);
      form.append('StreamName', req.streamName);
    }
  } else if (req.mode === 'flow') {
    if (!SAFE_SEGMENT.test(req.appId)) refuse(`appId ${JSON.stringify(req.appId)} is not a flow app id`);
    form.append('Url', `${FLOW_URL_BASE}/${accountSid}/exoml/start_voice/${req.appId}`);
    form.append('CallType', 'trans');
    if (req.timeOutSec !== undefined) form.append('TimeOut', String(positiveInt('TimeOut', req.timeOutSec, Infinity, refuse)));
  } else {
    refuse(`unknown mode ${JSON.stringify((req as { mode: unknown }).mode)} (expected 'flow' or 'voice-ai')`);
  }
  if (req.record !== undefined) form.append('Record', String(req.record));
  if (req.recordingChannels !== undefined) form.append('RecordingChannels', req.recordingChannels);
  if (req.timeLimitSec !== undefined) form.append('TimeLimit', String(positiveInt('TimeLimit', req.timeLimitSec, EXOTEL_LIMITS.timeLimitSec, refuse)));
  if (req.customField !== undefined) {
    if (req.customField.length > EXOTEL_LIMITS.customFieldChars) refuse(`CustomField is longer than ${EXOTEL_LIMITS.customFieldChars} characters`);
    form.append('CustomField', req.customField);
  }
  if (req.statusCallback !== undefined) {
    if (!/^https?:$/.test(parseUrl(req.statusCallback)?.protocol ?? '')) refuse('StatusCallback must be an absolute http(s) URL');
    form.append('StatusCallback', req.statusCallback);
  }
  const events = [...new Set(req.statusCallbackEvents ?? [])];
  events.forEach((event, i) => {
    if (!['terminal', 'answered', 'ringing'].includes(event)) refuse(`unknown StatusCallbackEvents value ${JSON.stringify(event)}`);
    if (event === 'ringing' && req.mode !== 'voice-ai') refuse("the 'ringing' status callback exists only for Connect Voice AI calls");
    // The indexed spelling is the one pinned against a live dial (spec §7.2, §15.5).
    form.append(`StatusCallbackEvents[${i}]`, event);
  });
  if (req.statusCallbackContentType !== undefined) form.append('StatusCallbackContentType', req.statusCallbackContentType);
  return form;
}

function checkStreamUrl(url: string, refuse: Refuse): void {
  if (url.length > EXOTEL_LIMITS.streamUrlChars) {
    refuse(`StreamUrl is ${url.length} characters; Exotel accepts at most ${EXOTEL_LIMITS.streamUrlChars}`);
  }
  const protocol = parseUrl(url)?.protocol;
  if (protocol !== 'ws:' && protocol !== 'wss:') refuse('StreamUrl must be an absolute ws:// or wss:// URL');
}

function positiveInt(field: string, value: number, max: number, refuse: Refuse): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    refuse(`${field} must be a whole number of seconds from 1${Number.isFinite(max) ? ` to ${max}` : ''}, got ${value}`);
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
