import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallDetails, CallDetailsStore } from '../../call/call-details.js';
import type { Config } from '../../config/env.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { signCallToken } from '../../exotel/call-token.js';
import { publicBaseUrl, toWebSocketBase } from '../../exotel/call-urls.js';
import { checkId } from '../../exotel/identifiers.js';
import { InputError } from '../bounded-input.js';
import { RequestParams } from '../request-params.js';

export const WEBHOOK_PATHS = ['/api/v1/exotel/voice/connect', '/voicebot/connect'] as const;
/** Exotel opens the socket right after the webhook; an hour covers its retry and slow networks alike. */
const WS_TOKEN_TTL_SEC = 3600;
/** The longest the answer waits for `onCall`: a slow database must not hold Exotel's call up. */
const ON_CALL_WAIT_MS = 1000;

export interface WebhookOptions {
  config: Config;
  details: CallDetailsStore;
  metrics: GatewayMetrics;
  isDraining: () => boolean;
  /**
   * Told about every call the webhook announces (the call record starts here); never throws. Awaited up to
   * ON_CALL_WAIT_MS before the answer, so that the record exists before the stream opens: the stream may land on
   * another node, which must find this record rather than create a second one.
   */
  onCall?: (details: CallDetails) => Promise<void>;
}

/**
 * Exotel's Voicebot applet "dynamic URL": Exotel asks where to stream this call and we answer with our
 * media WebSocket URL for it (protocol spec §6). GET or POST, parameters in the query or a form/JSON body.
 */
export async function webhookRoutes(app: FastifyInstance, opts: WebhookOptions): Promise<void> {
  const { config, details, metrics } = opts;

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const t0 = process.hrtime.bigint();
    const route = req.routeOptions.url ?? '';
    try {
      if (opts.isDraining()) return reply.code(503).header('retry-after', '5').send({ error: 'server is draining; try another instance' });
      if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Array.isArray(req.body))) {
        throw new InputError('body', 'format', 'request body must be a JSON object or a form');
      }
      const p = new RequestParams(req.query, req.body);
      let callId = p.get('CallSid', 'call_sid', 'callid');
      if (callId) {
        const check = checkId('callSid', callId);
        if (!check.ok) throw new InputError('CallSid', check.reason, check.message.replace(/^callSid/, 'CallSid'));
      }
      const agent = p.get('agent');
      if (agent) {
        const check = checkId('agentName', agent);
        if (!check.ok) throw new InputError('agent', check.reason, check.message.replace(/^agentName/, 'agent'));
      }
      if (!callId) {
        callId = `gen-${randomBytes(12).toString('hex')}`;
        req.log.warn({ callId }, 'webhook without CallSid: generated a call id');
      }
      const base = publicBaseUrl(config.publicBaseUrl, req.headers, req.protocol === 'https');
      if (!base) return reply.code(400).send({ error: 'cannot tell our public address: send a Host header or set WEBHOOK_BASE_URL' });

      const query = new URLSearchParams({ call_id: callId });
      if (config.sampleRate !== 8000) query.set('sample-rate', String(config.sampleRate));
      if (agent) query.set('agent', agent);
      if (config.wsToken) query.set('token', signCallToken(config.wsToken, 'ws', callId, WS_TOKEN_TTL_SEC));
      const url = `${toWebSocketBase(base)}${config.wsPath}?${query}`;

      const call: CallDetails = {
        callId,
        from: p.get('CallFrom', 'From'),
        to: p.get('CallTo', 'To'),
        direction: p.get('Direction'),
        customField: p.get('CustomField'),
        agent,
        params: p.raw,
        receivedAt: Date.now(),
      };
      await details.put(call);
      if (opts.onCall) await settledWithin(opts.onCall(call), ON_CALL_WAIT_MS);
      return reply.code(200).type('application/json').send({ url });
    } finally {
      metrics.webhookDuration.observe({ route }, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  };

  for (const url of WEBHOOK_PATHS) app.route({ method: ['GET', 'POST'], url, handler });
}

/** Waits for `work` (which never rejects) at most `ms`; it goes on in the background after that. */
function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
