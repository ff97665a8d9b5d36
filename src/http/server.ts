import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AgentCatalog } from '../agent/assembly/catalog.js';
import { MemoryCallDetailsStore, type CallDetailsStore } from '../call/call-details.js';
import { realScheduler, type Scheduler } from '../clock/scheduler.js';
import { CallSession, DEFAULT_SESSION_OPTIONS, type CallJournal, type SessionOptions } from '../call/session.js';
import { MemorySessionRegistry, type SessionRegistry } from '../call/session-registry.js';
import { LocalControlBus, type ControlBus } from '../call/live-control.js';
import { CallFeed } from '../call/call-feed.js';
import type { Config } from '../config/env.js';
import type { CallStore } from '../store/call-store.js';
import type { CallRecordings, SessionDeps } from '../call/session-types.js';
import { prepareRecordingsDir, recordingsDir, startRecordingSweeper } from '../call/recording-files.js';
import { registerStoreMetrics } from '../store/store-metrics.js';
import { registerWorkerPoolMetrics } from '../providers/worker-pool-metrics.js';
import { sharedWorkerPools } from '../providers/worker-pool.js';
import { MAX_MESSAGE_BYTES } from '../exotel/incoming-messages.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { adminGuard } from './admin-auth.js';
import { drainDeclaredBody } from './oversize-body.js';
import { HTTP_INPUT_LIMITS, InputError, parseFormText, parseJsonBody, parseMultipart, parseQueryString, queryProblem } from './bounded-input.js';
import { callControlRoutes } from './routes/call-control.js';
import { callRecordRoutes } from './routes/call-records.js';
import { consoleRoutes } from './routes/console.js';
import { consoleApiRoutes } from './routes/console-api.js';
import { statusCallbackRoutes } from './routes/status-callback.js';
import { outboundCallRoutes } from './routes/outbound-calls.js';
import { OutboundDialer } from '../call/outbound-dialer.js';
import { SlidingWindowLimiter, type DialLimiter } from '../call/rate-limiter.js';
import type { FleetHealth } from '../fleet/redis-health.js';
import { StatusRefresher } from '../call/status-refresher.js';
import { ExotelRestClient } from '../exotel/rest-client.js';
import { healthRoutes } from './routes/health.js';
import { mediaRoutes } from './routes/media.js';
import { sessionsRoutes } from './routes/sessions.js';
import { webhookRoutes } from './routes/webhook.js';

export interface GatewayParts {
  config: Config;
  logger: Logger;
  agents: AgentCatalog;
  registry?: SessionRegistry;
  details?: CallDetailsStore;
  journal?: CallJournal;
  /** This node's id, named in live-control answers and timelines. */
  nodeId?: string;
  /** The live-control bus over this node's calls (the fleet's forwards to other nodes); by default node-local. */
  control?: (local: LocalControlBus) => ControlBus;
  /** Durable call records; enables `/calls`, `POST /call` and status callbacks. */
  store?: CallStore;
  /** Exotel's REST API; by default built from the configuration when it is complete. */
  rest?: ExotelRestClient;
  scheduler?: Scheduler;
  metrics?: GatewayMetrics;
  session?: Partial<SessionOptions>;
  /** How often the recording sweeper runs (default 10 min; tests shorten it). */
  recordingSweepMs?: number;
  /** Overrides the HTTP time-outs (tests shorten them). */
  httpTimeouts?: Partial<HttpTimeouts>;
  /** Fleet mode (src/fleet): the shared dial limit, the status-refresh lease, Redis's state on /ready. */
  fleet?: GatewayFleet;
}

export interface GatewayFleet {
  dialLimiter: DialLimiter;
  holdsStatusRefresh(): boolean;
  health(): FleetHealth;
}

/** How long a client may take, in milliseconds (0: no limit). */
export interface HttpTimeouts {
  /** To send the request line and headers: a client trickling headers (slowloris) is cut off with a 408. */
  headersTimeoutMs: number;
  /** To send the whole request, body included (our bodies are at most 64 KB). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection stays open this long between requests. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic either way is closed (a WebSocket, once upgraded, is exempt: it has its own pings). */
  connectionTimeoutMs: number;
}

/**
 * Headers in 10 s and the body in 30 s are ample for Exotel and any admin client; keep-alive outlives the 60 s idle
 * time-out of common load balancers (AWS ALB, Render), or they may reuse a socket we just closed and answer 502;
 * 60 s without traffic exceeds the slowest handler (POST /call waits for Exotel's API, 10 s per attempt).
 */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  connectionTimeoutMs: 60_000,
};

/** fastify's overloads pick the HTTP/1 server only for a non-union option, so narrow it here. */
function trustProxyOption(value: boolean | string[]): string {
  if (value === true) return '0.0.0.0/0,::/0';
  if (value === false) return '';
  return value.join(',');
}

export interface Gateway {
  app: FastifyInstance;
  registry: SessionRegistry;
  metrics: GatewayMetrics;
  readonly draining: boolean;
  /** Stops taking calls, waits for live ones to end (up to `timeoutMs`), ends the rest, closes the server. */
  drain(timeoutMs: number): Promise<{ endedByDrain: number }>;
}

export async function buildGateway(parts: GatewayParts): Promise<Gateway> {
  const { config, logger, agents } = parts;
  const registry = parts.registry ?? new MemorySessionRegistry();
  const details = parts.details ?? new MemoryCallDetailsStore();
  const metrics = parts.metrics ?? new GatewayMetrics();
  const scheduler = parts.scheduler ?? realScheduler;
  let draining = false;
  const isDraining = () => draining;

  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...parts.httpTimeouts };
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: trustProxyOption(config.trustProxy),
    bodyLimit: HTTP_INPUT_LIMITS.maxBodyBytes,
    routerOptions: { querystringParser: parseQueryString },
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Node checks the two time-outs above only this often (30 s by default, which would let a slow client
      // hold a socket for 40 s against a 10 s limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4) || 1000)),
    },
  });
  registerBodyParsers(app);
  await app.register(websocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });

  // The console's live view watches calls through the feed, in front of the call records.
  const feed = new CallFeed();
  registry.onChange?.(() => feed.sessionsChanged());
  const journal = feed.journal(parts.journal);
  const sessionDeps: SessionDeps = {
    registry,
    metrics,
    log: logger,
    scheduler,
    journal,
    selectAgent: agents.select.bind(agents),
    findAgent: agents.get.bind(agents),
    options: {
      ...DEFAULT_SESSION_OPTIONS,
      defaultSampleRate: 8000,
      leadMs: config.playoutLeadMs,
      markTimeoutMs: config.markTimeoutMs,
      startTimeoutMs: config.wsStartTimeoutMs,
      ...parts.session,
    },
  };

  const store = parts.store;
  const recordingsAt = recordingsDir(config.dataDir);
  if (config.recordings.enabled && store) {
    const dir = prepareRecordingsDir(config.dataDir);
    const finishing = new Set<Promise<unknown>>();
    let lastLog = 0;
    sessionDeps.recordings = {
        dir,
        onFailure: (err: unknown, stage: string) => {
          metrics.recordingFailures.inc({ stage });
          // A full disk fails every call's recording: one line a minute is enough.
          const now = Date.now();
          if (now - lastLog >= 60_000) {
            lastLog = now;
            logger.error({ err, stage }, 'call recording failed; the call goes on unrecorded');
          }
        },
        recordId: (callId: string) => recordIdOf(store, callId),
      onSaved: () => metrics.recordingsSaved.inc(),
      finishing,
    } satisfies CallRecordings;
    // The calls a drain ended are still completing their files: the store must outlive them.
    app.addHook('onClose', async () => {
      await Promise.allSettled([...finishing]);
    });
    const stopSweeper = startRecordingSweeper(
      dir,
      { retentionDays: config.recordings.retentionDays, maxMb: config.recordings.maxMb },
      {
        onSwept: (r) => {
          if (r.expired) metrics.recordingsSwept.inc({ reason: 'expired' }, r.expired);
          if (r.overCap) metrics.recordingsSwept.inc({ reason: 'over-cap' }, r.overCap);
          if (r.stale) metrics.recordingsSwept.inc({ reason: 'stale' }, r.stale);
        },
        onError: (err) => logger.warn({ err }, 'recording sweep failed'),
      },
      parts.recordingSweepMs,
    );
    app.addHook('onClose', async () => stopSweeper());
  } else if (config.recordings.enabled) {
    logger.warn('RECORD_CALLS=on needs the call record store: calls are not recorded');
  }
  if (store) registerStoreMetrics(metrics.registry, store);
  registerWorkerPoolMetrics(metrics.registry, sharedWorkerPools);
  const fleet = parts.fleet;
  await app.register(healthRoutes, {
    metrics,
    isDraining,
    ...(store ? { storeHealth: () => store.health() } : {}),
    ...(fleet ? { fleetHealth: () => fleet.health() } : {}),
  });
  await app.register(webhookRoutes, { config, details, metrics, isDraining, onCall: journal.webhook?.bind(journal) });
  await app.register(mediaRoutes, { config, details, metrics, sessionDeps, isDraining });
  const guard = adminGuard(config.apiKey, metrics);
  await app.register(sessionsRoutes, { registry, guard });
  const local = new LocalControlBus(registry, parts.nodeId);
  const bus = parts.control ? parts.control(local) : local;
  await app.register(callControlRoutes, { bus, guard, metrics, store: parts.store, nodeId: parts.nodeId });
  await app.register(consoleRoutes, {});
  await app.register(consoleApiRoutes, { registry, feed, guard, agents, wsPath: config.wsPath, wsToken: config.wsToken });
  if (parts.store) {
    await app.register(callRecordRoutes, { store: parts.store, guard, recordingsDir: recordingsAt });
    await app.register(statusCallbackRoutes, { store: parts.store, secret: config.callbackSecret, metrics });
    const rest = parts.rest ?? restClientFor(config);
    const dialer = new OutboundDialer({
      config,
      store: parts.store,
      rest,
      limiter: fleet?.dialLimiter ?? new SlidingWindowLimiter(config.exotel.callsPerMinute),
      log: logger.child({ component: 'dialer' }),
    });
    await app.register(outboundCallRoutes, { dialer, guard });
    if (rest) {
      const refresher = new StatusRefresher({
        store: parts.store,
        rest,
        log: logger.child({ component: 'status-refresh' }),
        ...(fleet ? { isLeader: () => fleet.holdsStatusRefresh() } : {}),
      });
      refresher.start();
      app.addHook('onClose', () => refresher.stop());
    }
  }

  // One sweeper for every call's time-outs, instead of a timer reset per frame.
  const sweeper = setInterval(() => {
    const now = scheduler.now();
    for (const s of registry.all()) if (s instanceof CallSession) s.checkTimeouts(now);
  }, 1000);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  return {
    app,
    registry,
    metrics,
    get draining() {
      return draining;
    },
    async drain(timeoutMs) {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      while (registry.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      let endedByDrain = 0;
      for (const s of [...registry.all()]) {
        s.terminate('shutdown');
        endedByDrain++;
      }
      await app.close();
      return { endedByDrain };
    },
  };
}

/**
 * Every body and query goes through the bounded parsers (bounded-input.ts). Input over a limit is a 400 naming the
 * field, a body over bodyLimit a 413, both as JSON; other errors keep fastify's default answer.
 */
const TOO_LARGE = { error: 'too_large', field: 'body', reason: 'size', message: `request body larger than ${HTTP_INPUT_LIMITS.maxBodyBytes} bytes` };

function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseFormText(body as string, 'body'));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (req, body, done) => {
    try {
      done(null, parseMultipart(body as Buffer, req.headers['content-type'] ?? ''));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    const problem = queryProblem(req.query);
    if (problem) throw problem;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > HTTP_INPUT_LIMITS.maxBodyBytes) {
      const drained = await drainDeclaredBody(req.raw, declared);
      if (!drained) reply.header('connection', 'close');
      return reply.code(413).send(TOO_LARGE);
    }
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof InputError) return reply.code(400).send(err.toJSON());
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(TOO_LARGE);
    }
    throw err;
  });
}

function restClientFor(config: Config): ExotelRestClient | undefined {
  const e = config.exotel;
  if (!e.apiKey || !e.apiToken || !e.sid || !(e.subdomain || e.apiBaseUrl)) return undefined;
  return new ExotelRestClient({
    apiKey: e.apiKey,
    apiToken: e.apiToken,
    accountSid: e.sid,
    subdomain: e.subdomain ?? '',
    ...(e.apiBaseUrl ? { baseUrl: e.apiBaseUrl } : {}),
  });
}

/** A call's store record id, for naming its recording; the record is normally written long before the call ends. */
async function recordIdOf(store: CallStore, callId: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await store.flush().catch(() => {});
    const record = await store.get(callId).catch(() => null);
    if (record) return record.id;
    await new Promise((r) => setTimeout(r, 500));
  }
  return undefined;
}
