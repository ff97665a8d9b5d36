import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { CALL_STATUSES } from '../../store/call-status.js';
import type { CallStore } from '../../store/call-store.js';
import { checkId } from '../../exotel/identifiers.js';
import { InputError } from '../bounded-input.js';

export interface CallRecordsOptions {
  store: CallStore;
  guard: preHandlerHookHandler;
}

const date = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO date or date-time, e.g. 2026-11-25 or 2026-11-25T10:00:00Z' })
  .transform((v) => new Date(v));

const listQuery = z
  .object({
    status: z.enum(CALL_STATUSES).optional(),
    direction: z.enum(['inbound', 'outbound']).optional(),
    number: z.string().min(1).max(32).optional(),
    agent: z.string().min(1).max(64).optional(),
    from: date.optional(),
    to: date.optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();

/** Durable call records: `GET /calls` (filters, cursor pages) and `GET /calls/:id` (callSid, callLogId or our id). */
export async function callRecordRoutes(app: FastifyInstance, opts: CallRecordsOptions): Promise<void> {
  const { store, guard } = opts;

  app.get('/calls', { preHandler: guard }, async (req, reply) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) {
      return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ') });
    }
    try {
      return await store.list(parsed.data);
    } catch (err) {
      if ((err as Error).name === 'CallStoreValidationError') return reply.code(400).send({ error: (err as Error).message });
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>('/calls/:id', { preHandler: guard }, async (req, reply) => {
    const id = req.params.id;
    // Every id a record can have (ours, a CallSid, a callLogId) fits the CallSid rule; anything else is no call.
    const check = checkId('callSid', id);
    if (!check.ok) throw new InputError('id', check.reason, check.message.replace(/^callSid/, 'id'));
    const record = await store.get(id);
    if (!record) return reply.code(404).send({ error: `no call with id, CallSid or callLogId "${id}"` });
    return record;
  });
}
