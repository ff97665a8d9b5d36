import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisDialLimiter } from '../../src/fleet/redis-dial-limiter.js';
import { redisNode, startTestRedis } from '../helpers/redis-server.js';

test('the dial limit is the fleet\'s: two nodes share one window; without Redis each node falls back to its own', async (t) => {
  const server = await startTestRedis();
  const nodes = await Promise.all(
    ['node-a', 'node-b'].map(async (id) => {
      const node = await redisNode(server.url, id);
      return { ...node, limiter: new RedisDialLimiter(node.redis, 3, node.health, 60_000) };
    }),
  );
  t.after(async () => {
    for (const n of nodes) n.redis.disconnect();
    await server.stop();
  });
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];

  // Concurrent takes from both nodes: exactly 3 slots in all (the script is atomic).
  const results = await Promise.all([a, b, a, b, a, b].map((n) => n.limiter.take()));
  assert.equal(results.filter((r) => r.ok).length, 3);
  const refused = results.find((r) => !r.ok);
  assert.ok(refused && !refused.ok && refused.retryAfterMs > 55_000 && refused.retryAfterMs <= 60_000, JSON.stringify(refused));
  assert.equal(a.health.degraded, false);

  // Redis gone: each node's own window answers (and the node says so), so dialling goes on.
  await server.stop();
  const fallback = await a.limiter.take();
  assert.deepEqual(fallback, { ok: true });
  assert.equal(a.health.degraded, true);
  assert.equal(a.health.health().status, 'degraded');
});
