import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { FleetHealth } from '../../fleet/redis-health.js';
import type { StoreHealth } from '../../store/call-store.js';

export interface HealthOptions {
  metrics: GatewayMetrics;
  isDraining: () => boolean;
  /** The call-record store's state, when there is one. */
  storeHealth?: () => StoreHealth;
  /** Redis's state, in fleet mode. */
  fleetHealth?: () => FleetHealth;
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  // A degraded store or Redis stays 200: calls work without them (records wait in memory, sessions go node-local),
  // so taking the instance out of rotation would only refuse calls; the body says what is wrong.
  app.get('/ready', async (_req, reply) => {
    if (opts.isDraining()) return reply.code(503).send({ ready: false, status: 'draining', reason: 'draining' });
    const store = opts.storeHealth?.();
    const fleet = opts.fleetHealth?.();
    const degraded = store?.status === 'degraded' || fleet?.status === 'degraded';
    return { ready: true, status: degraded ? 'degraded' : 'ok', ...(store ? { store } : {}), ...(fleet ? { fleet } : {}) };
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()),
  );
}
