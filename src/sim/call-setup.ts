import type WebSocket from 'ws';
import { callWebhook, openStream, streamParametersFromUrl, type WebhookBody, type WebhookMethod } from './dial.js';
import { ExotelMessageWriter, type StartShape } from './exotel-messages.js';
import type { SimClock } from './frame-clock.js';
import { randomSid } from './ids.js';
import type { SimReport } from './report.js';

/**
 * Placing a simulated call as Exotel does: ask the dynamic-URL webhook for the stream URL (unless given one),
 * read the sample rate and custom parameters off that URL, open the WebSocket (with Exotel's one retry), and
 * build the writer of Exotel's messages for this stream.
 */

export interface SimCallOptions {
  /** Dynamic-URL webhook (http/https) or the stream URL itself (ws/wss, userinfo becomes Basic auth). */
  url: string;
  /** Webhook method; GET sends the parameters as a query string. Default GET. */
  method?: WebhookMethod;
  /** Webhook POST body encoding. Default form. */
  webhookBody?: WebhookBody;
  /** Extra webhook parameters (e.g. `{ agent: 'support' }`). */
  webhookParams?: Record<string, string>;
  from?: string;
  to?: string;
  customField?: string;
  callSid?: string;
  streamSid?: string;
  accountSid?: string;
  /** Extra headers on the webhook request and the WebSocket upgrade (e.g. a Bearer token). */
  headers?: Record<string, string>;
  /** Caller media frame duration. Default 100 ms. */
  callerFrameMs?: 20 | 100;
  startShape?: StartShape;
  /** Queued-ahead audio above which arriving frames count as a burst. Default 500 ms. */
  burstThresholdMs?: number;
  /** A dry playout refilled within this window is an underrun inside one reply. Default 1000 ms. */
  replyGapMs?: number;
  handshakeTimeoutMs?: number;
  /** Handshake retries after a failure; Exotel makes one. Default 1. */
  handshakeRetries?: number;
  webhookTimeoutMs?: number;
  clock?: SimClock;
}

const DEFAULT_FROM = '09876543210';
const DEFAULT_TO = '08047491899';

export interface ConnectedStream {
  ws: WebSocket;
  /** The URL the socket was opened on (userinfo removed). */
  streamUrl: string;
  sampleRate: number;
  customParameters: Record<string, string>;
  notes: string[];
  webhook: SimReport['webhook'];
  handshakeAttempts: number;
  /** Dial to WebSocket open, including the webhook hop. */
  connectMs: number;
}

/** Webhook (if `url` is http/https), then the WebSocket upgrade; nothing is sent on the socket yet. */
export async function connectStream(o: SimCallOptions, callSid: string, clock: SimClock): Promise<ConnectedStream> {
  const dialAt = clock.now();
  let streamUrl = o.url;
  let webhook: SimReport['webhook'];
  if (/^https?:\/\//i.test(o.url)) {
    const method = o.method ?? 'GET';
    const from = o.from ?? DEFAULT_FROM;
    const to = o.to ?? DEFAULT_TO;
    const result = await callWebhook({
      url: o.url,
      method,
      body: o.webhookBody ?? 'form',
      params: {
        CallSid: callSid,
        CallFrom: from,
        CallTo: to,
        Direction: 'incoming',
        From: from,
        To: to,
        CustomField: o.customField ?? '',
        ...o.webhookParams,
      },
      headers: o.headers ?? {},
      timeoutMs: o.webhookTimeoutMs ?? 10_000,
    });
    streamUrl = result.streamUrl;
    webhook = { url: o.url, method, status: result.status, elapsedMs: clock.now() - dialAt };
  } else if (!/^wss?:\/\//i.test(o.url)) {
    throw new Error(`url must be http(s):// (dynamic URL) or ws(s):// (stream URL): ${o.url}`);
  }
  const params = streamParametersFromUrl(streamUrl);
  const opened = await openStream(streamUrl, {
    headers: o.headers ?? {},
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    retries: o.handshakeRetries ?? 1,
  });
  return {
    ws: opened.ws,
    streamUrl: opened.url,
    sampleRate: params.sampleRate,
    customParameters: params.customParameters,
    notes: params.notes,
    webhook,
    handshakeAttempts: opened.attempts,
    connectMs: clock.now() - dialAt,
  };
}

/** The writer of Exotel's messages on this stream, in the `start` shape asked for. */
export function streamWriter(o: SimCallOptions, ids: { streamSid: string; callSid: string; accountSid: string }, stream: ConnectedStream): ExotelMessageWriter {
  return new ExotelMessageWriter(
    {
      ...ids,
      legSid: randomSid(),
      from: o.from ?? DEFAULT_FROM,
      to: o.to ?? DEFAULT_TO,
      customParameters: stream.customParameters,
      sampleRate: stream.sampleRate,
    },
    o.startShape ?? 'canonical',
  );
}
