import websocket from '@fastify/websocket';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AgentCatalog } from '../agent/assembly/catalog.js';
import { MemoryCallDetailsStore, type CallDetailsStore } from '../call/call-details.js';
import { realScheduler, type Scheduler } from '../clock/scheduler.js';
import { CallSession, DEFAULT_SESSION_OPTIONS, type CallJournal, type SessionOptions } from '../call/session.js';
import { MemorySessionRegistry, type SessionRegistry } from '../call/session-registry.js';
import type { Config } from '../config/env.js';
import type { CallStore } from '../store/call-store.js';
import { MAX_MESSAGE_BYTES } from '../exotel/incoming-messages.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { adminGuard } from './admin-auth.js';
import { callRecordRoutes } from './routes/call-records.js';
import { statusCallbackRoutes } from './routes/status-callback.js';
import { outboundCallRoutes } from './routes/outbound-calls.js';
import { OutboundDialer } from '../call/outbound-dialer.js';
import { SlidingWindowLimiter } from '../call/rate-limiter.js';
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
  /** Durable call records; enables `/calls`, `POST /call` and status callbacks. */
  store?: CallStore;
  /** Exotel's REST API; by default built from the configuration when it is complete. */
  rest?: ExotelRestClient;
  scheduler?: Scheduler;
  metrics?: GatewayMetrics;
  session?: Partial<SessionOptions>;
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

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: true,
    bodyLimit: 1024 * 1024,
  });
  await app.register(formbody);
  await app.register(websocket, { options: { maxPayload: MAX_MESSAGE_BYTES } });

  const journal = parts.journal;
  const sessionDeps = {
    registry,
    metrics,
    log: logger,
    scheduler,
    journal,
    selectAgent: agents.select.bind(agents),
    options: {
      ...DEFAULT_SESSION_OPTIONS,
      defaultSampleRate: 8000,
      leadMs: config.playoutLeadMs,
      markTimeoutMs: config.markTimeoutMs,
      startTimeoutMs: config.wsStartTimeoutMs,
      ...parts.session,
    },
  };

  await app.register(healthRoutes, { metrics, isDraining });
  await app.register(webhookRoutes, { config, details, metrics, isDraining, onCall: journal?.webhook?.bind(journal) });
  await app.register(mediaRoutes, { config, details, metrics, sessionDeps, isDraining });
  const guard = adminGuard(config.apiKey, metrics);
  await app.register(sessionsRoutes, { registry, guard });
  if (parts.store) {
    await app.register(callRecordRoutes, { store: parts.store, guard });
    await app.register(statusCallbackRoutes, { store: parts.store, secret: config.callbackSecret, metrics });
    const rest = parts.rest ?? restClientFor(config);
    const dialer = new OutboundDialer({
      config,
      store: parts.store,
      rest,
      limiter: new SlidingWindowLimiter(config.exotel.callsPerMinute),
      log: logger.child({ component: 'dialer' }),
    });
    await app.register(outboundCallRoutes, { dialer, guard });
    if (rest) {
      const refresher = new StatusRefresher({ store: parts.store, rest, log: logger.child({ component: 'status-refresh' }) });
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
