import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { DialError, type OutboundDialer } from '../../call/outbound-dialer.js';
import { ID_RULES, isValidId, type IdKind } from '../../exotel/identifiers.js';

export interface OutboundCallsOptions {
  dialer: OutboundDialer;
  guard: preHandlerHookHandler;
}

const id = (kind: IdKind) => z.string().refine((v) => isValidId(kind, v), { message: `must be ${ID_RULES[kind].describe}` });

const body = z
  .object({
    to: z.string().min(1, 'is required').max(32),
    from: z.string().min(1).max(32).optional(),
    callLogId: id('callLogId').optional(),
    agent: id('agentName').optional(),
  })
  .strict();

/** `POST /call`: place an outbound call through Exotel (JSON or form body). */
export async function outboundCallRoutes(app: FastifyInstance, opts: OutboundCallsOptions): Promise<void> {
  app.post('/call', { preHandler: opts.guard }, async (req, reply) => {
    const parsed = body.safeParse(req.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    }
    try {
      const r = await opts.dialer.dial(parsed.data);
      return reply.code(r.created ? 201 : 200).send({ callSid: r.callSid, status: r.status, callLogId: r.callLogId, id: r.id });
    } catch (err) {
      if (!(err instanceof DialError)) throw err;
      if (err.retryAfterSec !== undefined) reply.header('retry-after', String(err.retryAfterSec));
      return reply.code(err.httpStatus).send({ error: err.message });
    }
  });
}
