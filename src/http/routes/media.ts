import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CallDetailsStore } from '../../call/call-details.js';
import { CallSession, type SessionDeps } from '../../call/session.js';
import type { Config } from '../../config/env.js';
import { parseSampleRate } from '../../exotel/incoming-messages.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { authorizeUpgrade } from '../ws-auth.js';

export interface MediaOptions {
  config: Config;
  details: CallDetailsStore;
  metrics: GatewayMetrics;
  sessionDeps: SessionDeps;
  isDraining: () => boolean;
}

type MediaQuery = Record<string, string | string[] | undefined>;

function one(v: string | string[] | undefined): string | undefined {
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

/** The media WebSocket Exotel streams each call over (protocol spec §2–§4). */
export async function mediaRoutes(app: FastifyInstance, opts: MediaOptions): Promise<void> {
  const { config, metrics } = opts;

  app.get<{ Querystring: MediaQuery }>(
    config.wsPath,
    {
    websocket: true,
    // Runs before the upgrade, so refusals are plain HTTP answers, as Exotel's client expects.
    preValidation: async (req, reply) => {
      if (opts.isDraining()) return reply.code(503).header('retry-after', '5').send({ error: 'server is draining' });
      const q = req.query;
      const result = authorizeUpgrade(config.wsToken, req.headers.authorization, one(q.call_id), one(q.token));
      if (!result.ok) {
        metrics.authRejections.inc({ reason: 'ws' });
        req.log.warn({ reason: result.reason }, 'media WebSocket refused');
        return reply.code(401).send({ error: 'unauthorized' });
      }
    },
    },
    async (socket: WebSocket, req: FastifyRequest<{ Querystring: MediaQuery }>) => {
      const q = req.query;
      const callId = one(q.call_id);
      // Listen at once: messages that arrive while the call's details are looked up are held, not lost.
      let session: CallSession | undefined;
      const early: Array<[Buffer, boolean]> = [];
      let closed: number | undefined;
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (session) session.onMessage(data, isBinary);
        else if (early.length < 100) early.push([data, isBinary]);
      });
      socket.on('close', (code: number) => (session ? session.onClose(code) : (closed = code)));
      socket.on('error', (err: Error) => session?.onError(err));
      let details;
      try {
        details = callId ? await opts.details.get(callId) : undefined;
      } catch (err) {
        req.log.warn({ err }, 'call details lookup failed; continuing without them');
      }
      session = new CallSession(
        socket,
        { callId, sampleRate: parseSampleRate(one(q['sample-rate']) ?? one(q.sample_rate)), agent: one(q.agent), details },
        opts.sessionDeps,
      );
      for (const [data, isBinary] of early) session.onMessage(data, isBinary);
      if (closed !== undefined) session.onClose(closed);
    },
  );
}
