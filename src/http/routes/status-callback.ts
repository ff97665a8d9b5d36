import type { FastifyInstance } from 'fastify';
import { parseStatusCallback, statusCallbackUpdate } from '../../exotel/status-callback.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { CallStore } from '../../store/call-store.js';
import { verifyCallToken } from '../../exotel/call-token.js';
import { isValidId } from '../../exotel/identifiers.js';
import { STATUS_CALLBACK_PATH } from '../../exotel/call-urls.js';

export interface StatusCallbackOptions {
  store: CallStore;
  secret: string | undefined;
  metrics: GatewayMetrics;
}

/**
 * `POST /api/v1/exotel/status`: Exotel's StatusCallback (JSON, form-urlencoded or multipart). Callbacks without a
 * valid per-call token are refused and recorded nowhere; duplicates and late arrivals never move a call backwards.
 */
export async function statusCallbackRoutes(app: FastifyInstance, opts: StatusCallbackOptions): Promise<void> {
  app.post<{ Querystring: Record<string, string | string[] | undefined> }>(STATUS_CALLBACK_PATH, async (req, reply) => {
    const { call: recordId, token } = req.query;
    // A repeated parameter arrives as an array: that is no token of ours either.
    if (!opts.secret || typeof recordId !== 'string' || !isValidId('callId', recordId) || typeof token !== 'string' || !verifyCallToken(opts.secret, 'status', recordId, token)) {
      opts.metrics.authRejections.inc({ reason: 'status-callback' });
      return reply.code(401).send({ error: 'missing or invalid callback token' });
    }
    const parsed = parseStatusCallback(req.body);
    if (!parsed.ok) return reply.code(400).send({ error: parsed.error });
    const cb = parsed.value;
    const record = await opts.store.get(recordId);
    if (!record) return reply.code(404).send({ error: 'unknown call' });
    if (record.callSid === null) opts.store.attachCallSid(record.id, cb.CallSid);
    opts.store.appendEvent(record.id, { type: 'status-callback', data: { ...cb } });
    opts.store.update(record.id, statusCallbackUpdate(cb));
    return { ok: true };
  });
}
