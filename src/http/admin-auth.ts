import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayMetrics } from '../observability/metrics.js';
import { safeEqual } from '../exotel/call-token.js';

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/**
 * Guards the admin endpoints: with `API_KEY` set, `Authorization: Bearer <key>` or `X-API-Key`; without it,
 * only requests from this machine's loopback.
 */
export function adminGuard(apiKey: string | undefined, metrics: GatewayMetrics) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!apiKey) {
      if (isLoopback(req.socket.remoteAddress ?? '')) return;
      metrics.authRejections.inc({ reason: 'admin-remote' });
      return reply.code(403).send({ error: 'admin API answers only loopback requests until API_KEY is set' });
    }
    const auth = req.headers.authorization;
    const given = auth?.match(/^Bearer\s+(.+)$/i)?.[1] ?? (req.headers['x-api-key'] as string | undefined);
    if (given && safeEqual(given.trim(), apiKey)) return;
    metrics.authRejections.inc({ reason: 'admin' });
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong API key' });
  };
}
