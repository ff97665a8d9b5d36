import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../../observability/metrics.js';

export interface HealthOptions {
  metrics: GatewayMetrics;
  isDraining: () => boolean;
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_req, reply) =>
    opts.isDraining() ? reply.code(503).send({ ready: false, reason: 'draining' }) : { ready: true },
  );
  app.get('/metrics', async (_req, reply) =>
    reply.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics()),
  );
}
