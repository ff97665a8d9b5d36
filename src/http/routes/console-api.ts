// The console's data routes, all admin-guarded: the live feed as server-sent events, the agents a softphone can
// call, and the media WebSocket URL for a softphone call (signed when EXOTEL_WS_TOKEN is set, since a browser's
// WebSocket cannot send an Authorization header).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { CallFeed, FeedEvent } from '../../call/call-feed.js';
import type { SessionRegistry, SessionSnapshot } from '../../call/session-registry.js';
import { signCallToken } from '../../exotel/call-token.js';
import { checkId } from '../../exotel/identifiers.js';
import { InputError } from '../bounded-input.js';

export interface ConsoleApiOptions {
  registry: SessionRegistry;
  feed: CallFeed;
  guard: preHandlerHookHandler;
  agents: { names(): string[]; readonly defaultAgent: string };
  wsPath: string;
  wsToken?: string;
  /** How often the live list is read again without a change notice (calls on other nodes, durations). */
  pollMs?: number;
  /** A comment line this often keeps proxies and our own idle time-out from closing a quiet stream. */
  heartbeatMs?: number;
}

/** Watchers at once; an admin tool has a handful, this bounds what a leaked key can hold open. */
const MAX_WATCHERS = 100;
/** A softphone must open its socket within this after asking for the URL. */
const SOFTPHONE_TOKEN_TTL_SEC = 120;

const softphoneBody = z
  .object({
    agent: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/).optional(),
    sampleRate: z.union([z.literal(8000), z.literal(16000)]).optional(),
  })
  .strict();

/** What the list shows, without the fields that change every moment (the page counts the duration itself). */
function listKey(sessions: SessionSnapshot[]): string {
  return JSON.stringify(sessions.map(({ durationMs: _d, framesIn: _i, framesOut: _o, ...rest }) => rest));
}

export async function consoleApiRoutes(app: FastifyInstance, opts: ConsoleApiOptions): Promise<void> {
  const { registry, feed, guard } = opts;
  const pollMs = opts.pollMs ?? 2000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const streams = new Set<() => void>();
  // app.close() waits for open connections: end the streams first.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get<{ Querystring: { call?: unknown } }>('/console/events', { preHandler: guard }, async (req, reply) => {
    const callId = req.query.call;
    if (callId !== undefined) {
      if (typeof callId !== 'string') throw new InputError('call', 'format', 'call: give one call id');
      const check = checkId('callId', callId);
      if (!check.ok) throw new InputError('call', check.reason, check.message.replace(/^callId/, 'call'));
    }
    if (streams.size >= MAX_WATCHERS) return reply.code(503).header('retry-after', '10').send({ error: 'too many console streams open' });

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const write = (event: string, data: unknown) => {
      if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };

    let lastList = '';
    let reading = false;
    let again = false;
    const sendSessions = async (force = false) => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        const sessions = await registry.list();
        const key = listKey(sessions);
        if (force || key !== lastList) write('sessions', { count: sessions.length, sessions, at: Date.now() });
        lastList = key;
      } catch (err) {
        req.log.warn({ err }, 'console: could not list live calls');
      } finally {
        reading = false;
        if (again) {
          again = false;
          void sendSessions();
        }
      }
    };

    const onFeed = (e: FeedEvent) => {
      if (e.kind === 'sessions') void sendSessions();
      else if (e.callId !== callId) return;
      else if (e.kind === 'turn') write('turn', e.turn);
      else if (e.type === 'end') write('ended', { callId, at: e.at, reason: e.data.reason });
      else write('latency', { type: e.type, at: e.at, data: e.data });
    };
    const unsubscribe = feed.subscribe(onFeed);
    const poll = setInterval(() => void sendSessions(), pollMs);
    const heartbeat = setInterval(() => !res.writableEnded && res.write(': ping\n\n'), heartbeatMs);
    const end = () => {
      streams.delete(end);
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      if (!res.writableEnded) res.end();
    };
    streams.add(end);
    res.on('close', end);

    res.write('retry: 2000\n\n');
    await sendSessions(true);
    if (callId !== undefined) for (const turn of feed.turnsOf(callId)) write('turn', turn);
  });

  app.get('/console/agents', { preHandler: guard }, async () => ({
    defaultAgent: opts.agents.defaultAgent,
    agents: opts.agents.names(),
  }));

  /** A new softphone call: its call id and the media WebSocket path (with query) to open on this host. */
  app.post('/console/softphone', { preHandler: guard }, async (req, reply) => {
    const parsed = softphoneBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send({ error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    }
    const { agent, sampleRate = 8000 } = parsed.data;
    if (agent !== undefined && !opts.agents.names().includes(agent)) return reply.code(400).send({ error: `agent: no agent named "${agent}"` });
    const callId = `console-${randomBytes(12).toString('hex')}`;
    const query = new URLSearchParams({ call_id: callId });
    if (sampleRate !== 8000) query.set('sample-rate', String(sampleRate));
    if (opts.wsToken) query.set('token', signCallToken(opts.wsToken, 'ws', callId, SOFTPHONE_TOKEN_TTL_SEC));
    return reply.code(201).header('cache-control', 'no-store').send({ callId, sampleRate, agent: agent ?? opts.agents.defaultAgent, path: `${opts.wsPath}?${query}` });
  });
}
