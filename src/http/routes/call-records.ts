import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import { CALL_STATUSES } from '../../store/call-status.js';
import type { CallStore } from '../../store/call-store.js';
import { checkId } from '../../exotel/identifiers.js';
import { InputError } from '../bounded-input.js';
import { isTerminalStatus } from '../../store/call-status.js';
import { deleteRecording, recordingPath } from '../../call/recording-files.js';

export interface CallRecordsOptions {
  store: CallStore;
  guard: preHandlerHookHandler;
  /** <DATA_DIR>/recordings */
  recordingsDir: string;
}

/** One `bytes=` range of a file of `size` bytes: the span, 'unsatisfiable', or undefined to send it whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: the Range header may be ignored (RFC 9110 §14.2).
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
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

/**
 * Durable call records: `GET /calls` (filters, cursor pages), `GET /calls/:id` (callSid, callLogId or our id),
 * `GET /calls/:id/recording` (the WAV, with Range) and `DELETE /calls/:id` (the record and its recording).
 */
export async function callRecordRoutes(app: FastifyInstance, opts: CallRecordsOptions): Promise<void> {
  const { store, guard, recordingsDir } = opts;

  /** The record an id names (ours, a CallSid or a callLogId), after the id check every route makes. */
  const findRecord = async (id: string) => {
    const check = checkId('callSid', id);
    if (!check.ok) throw new InputError('id', check.reason, check.message.replace(/^callSid/, 'id'));
    return store.get(id);
  };

  app.get<{ Params: { id: string } }>('/calls/:id/recording', { preHandler: guard }, async (req, reply) => {
    const record = await findRecord(req.params.id);
    // Named after the store's own record id, never after what the client sent.
    const path = record ? recordingPath(recordingsDir, record.id) : undefined;
    const info = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !info?.isFile()) return reply.code(404).send({ error: `no recording for call "${req.params.id}"` });
    const size = info.size;
    reply.header('accept-ranges', 'bytes').header('cache-control', 'private, no-store');
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') return reply.code(416).header('content-range', `bytes */${size}`).send({ error: 'range not satisfiable' });
    reply.header('content-type', 'audio/wav');
    if (range === undefined) return reply.header('content-length', size).send(createReadStream(path));
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1)
      .send(createReadStream(path, { start: range.start, end: range.end }));
  });

  app.delete<{ Params: { id: string } }>('/calls/:id', { preHandler: guard }, async (req, reply) => {
    const record = await findRecord(req.params.id);
    if (!record) return reply.code(404).send({ error: `no call with id, CallSid or callLogId "${req.params.id}"` });
    // A live call would go on writing to the record it lost.
    if (!isTerminalStatus(record.status)) return reply.code(409).send({ error: `call "${req.params.id}" has not ended (status ${record.status})` });
    await deleteRecording(recordingsDir, record.id);
    await store.delete(record.id);
    return reply.code(204).send();
  });

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
    // Whether we recorded the call (RECORD_CALLS=on): the console shows its player only then.
    const path = recordingPath(recordingsDir, record.id);
    const info = path ? await stat(path).catch(() => undefined) : undefined;
    return { ...record, recording: info?.isFile() ? { url: `/calls/${record.id}/recording`, bytes: info.size } : null };
  });
}
