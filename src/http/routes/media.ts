import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CallDetailsStore } from '../../call/call-details.js';
import { CallSession, type SessionDeps } from '../../call/session.js';
import type { Config } from '../../config/env.js';
import { checkId, logSafe } from '../../exotel/identifiers.js';
import { parseSampleRate } from '../../exotel/incoming-messages.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { FailedUpgradeLimiter } from '../upgrade-guard.js';
import { authorizeUpgrade } from '../ws-auth.js';

export interface MediaOptions {
  config: Config;
  details: CallDetailsStore;
  metrics: GatewayMetrics;
  sessionDeps: SessionDeps;
  isDraining: () => boolean;
}

type MediaQuery = Record<string, string | string[] | undefined>;

/** Messages kept while the call's details are looked up (Exotel sends `connected` and `start` at once). */
const EARLY_LIMIT = 100;

function one(v: string | string[] | undefined): string | undefined {
  return (Array.isArray(v) ? v[0] : v)?.trim() || undefined;
}

/** The media WebSocket Exotel streams each call over (protocol spec §2–§4). */
export async function mediaRoutes(app: FastifyInstance, opts: MediaOptions): Promise<void> {
  const { config, metrics } = opts;
  const failures = new FailedUpgradeLimiter(config.wsFailedUpgradesPerMin);

  app.get<{ Querystring: MediaQuery }>(
    config.wsPath,
    {
      websocket: true,
      // Runs before the upgrade, so refusals are plain HTTP answers, as Exotel's client expects.
      preValidation: async (req, reply) => {
        if (opts.isDraining()) return reply.code(503).header('retry-after', '5').send({ error: 'server is draining' });
        const wait = failures.retryAfterMs(req.ip);
        if (wait > 0) {
          metrics.authRejections.inc({ reason: 'ws-too-many-failures' });
          return reply.code(429).header('retry-after', String(Math.ceil(wait / 1000))).send({ error: 'too many failed upgrades' });
        }
        const q = req.query;
        const result = authorizeUpgrade(config.wsToken, req.headers.authorization, one(q.call_id), one(q.token));
        if (!result.ok) {
          failures.fail(req.ip);
          metrics.authRejections.inc({ reason: 'ws' });
          req.log.warn({ reason: result.reason }, 'media WebSocket refused');
          return reply.code(401).send({ error: 'unauthorized' });
        }
      },
    },
    async (socket: WebSocket, req: FastifyRequest<{ Querystring: MediaQuery }>) => {
      const q = req.query;
      const rawCallId = one(q.call_id);
      // The call id keys the registry, the records and every log line: an unusable one ends the socket here.
      if (rawCallId !== undefined && !checkId('callId', rawCallId).ok) {
        failures.fail(req.ip);
        metrics.badMessage('invalid-call-id');
        req.log.warn({ callId: logSafe(rawCallId) }, 'media WebSocket with an invalid call_id');
        socket.close(1008, 'invalid call_id');
        return;
      }
      const callId = rawCallId;
      const rawAgent = one(q.agent);
      const agent = rawAgent !== undefined && checkId('agentName', rawAgent).ok ? rawAgent : undefined;
      if (rawAgent !== undefined && !agent) req.log.warn({ agent: logSafe(rawAgent) }, 'ignoring an invalid agent name on the media URL');
      // Listen at once: messages that arrive while the call's details are looked up are held, not lost.
      let session: CallSession | undefined;
      const early: Array<[Buffer, boolean]> = [];
      let closed: number | undefined;
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (session) session.onMessage(data, isBinary);
        else if (early.length < EARLY_LIMIT) early.push([data, isBinary]);
      });
      socket.on('close', (code: number) => {
        if (!session) return void (closed = code);
        session.onClose(code);
        // A socket that never started is a failed handshake too: it counts against its address.
        if (session.endReason === 'timeout' && !session.info) failures.fail(req.ip);
      });
      socket.on('error', (err: Error) => session?.onError(err));
      let details;
      try {
        details = callId ? await opts.details.get(callId) : undefined;
      } catch (err) {
        req.log.warn({ err }, 'call details lookup failed; continuing without them');
      }
      try {
        session = new CallSession(socket, { callId, sampleRate: parseSampleRate(one(q['sample-rate']) ?? one(q.sample_rate)), agent, details }, opts.sessionDeps);
      } catch (err) {
        // Nothing of the call exists yet to contain this: refuse the socket, keep the server.
        req.log.error({ err }, 'could not open a call session');
        socket.close(1011, 'internal error');
        return;
      }
      for (const [data, isBinary] of early) session.onMessage(data, isBinary);
      if (closed !== undefined) session.onClose(closed);
    },
  );
}
