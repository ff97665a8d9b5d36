import type { FastifyInstance, FastifyReply, preHandlerHookHandler } from 'fastify';
import { CONTROL_TIMEOUT_MS, type ControlBus, type ControlOutcome, type LiveAction } from '../../call/live-control.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { CallStore } from '../../store/call-store.js';
import { checkId } from '../../exotel/identifiers.js';
import { CONTROL_KINDS, parseAction, type ParsedAction } from './call-control-schema.js';

export interface CallControlOptions {
  bus: ControlBus;
  guard: preHandlerHookHandler;
  metrics: GatewayMetrics;
  /** Lets `:id` be our record id (or a callLogId) as well as the live call id. */
  store?: CallStore;
  /** This node, named as the origin on the call's timeline. */
  nodeId?: string;
}

const invalid = (reply: FastifyReply, field: string, message: string) => reply.code(400).send({ error: 'invalid_request', field, message });

/**
 * Live-call control: `POST /calls/:id/hangup`, `/transfer`, `/say` (`{"text", "mode": "queue"|"interrupt"}`) and
 * `/agent` (`{"agent"}`). The node that owns the call acts: 202 when it took the action, 404 when no node has the
 * call live, 503 when the owner did not answer in time, 409 when it refused (400 naming the field for bad input).
 */
export async function callControlRoutes(app: FastifyInstance, opts: CallControlOptions): Promise<void> {
  const { bus, guard, store, metrics } = opts;

  /** The live call's id and what its owner said: `id` as given first, then the ids of the record it names. */
  async function send(id: string, action: LiveAction, ip: string): Promise<{ callId: string; outcome: ControlOutcome }> {
    const origin = { node: opts.nodeId, ip };
    const outcome = await bus.send(id, action, origin);
    if (outcome.status !== 'not-found' || !store) return { callId: id, outcome };
    const record = await store.get(id).catch(() => null);
    for (const other of new Set([record?.callSid, record?.id])) {
      if (!other || other === id) continue;
      const found = await bus.send(other, action, origin);
      if (found.status !== 'not-found') return { callId: other, outcome: found };
    }
    return { callId: id, outcome };
  }

  for (const kind of CONTROL_KINDS) {
    app.post<{ Params: { id: string } }>(`/calls/:id/${kind}`, { preHandler: guard }, async (req, reply) => {
      const id = req.params.id;
      const check = checkId('callSid', id);
      const parsed: ParsedAction = check.ok ? parseAction(kind, req.body) : { ok: false, field: 'id', message: check.message.replace(/^callSid/, 'id') };
      if (!parsed.ok) {
        metrics.controlRequests.inc({ action: kind, outcome: 'invalid' });
        return invalid(reply, parsed.field, parsed.message);
      }
      const { callId, outcome } = await send(id, parsed.action, req.ip);
      metrics.controlRequests.inc({ action: kind, outcome: outcome.status });
      switch (outcome.status) {
        case 'accepted':
          return reply.code(202).send({ status: 'accepted', action: kind, callId, node: outcome.nodeId ?? null });
        case 'not-found': {
          const scope = outcome.localOnly ? ' on this node (the fleet registry is unreachable, other nodes were not asked)' : '';
          return reply.code(404).send({ error: 'not_found', message: `no live call "${callId}"${scope}` });
        }
        case 'timeout':
          return reply.code(503).send({
            error: 'owner_unavailable',
            node: outcome.nodeId ?? null,
            message: `the node that owns call "${callId}" did not answer within ${CONTROL_TIMEOUT_MS} ms`,
          });
        case 'rejected':
          if (outcome.field) return invalid(reply, outcome.field, outcome.reason);
          return reply.code(409).send({ error: 'refused', node: outcome.nodeId ?? null, message: outcome.reason });
      }
    });
  }
}
