import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lease } from '../../src/fleet/lease.js';
import { redisNode, startTestRedis } from '../helpers/redis-server.js';

const TTL = 1000;

test('a lease is held by at most one node at any moment, and passes on when its holder dies or lets go', async (t) => {
  const server = await startTestRedis();
  const nodes = await Promise.all(
    ['node-a', 'node-b'].map(async (id) => {
      const { redis, health } = await redisNode(server.url, id);
      const lease = new Lease(redis, 'status-refresh', id, TTL, health);
      let renewing = true;
      const loop = (async () => {
        while (renewing) {
          await lease.renew();
          await new Promise((r) => setTimeout(r, TTL / 4));
        }
      })();
      return { id, redis, lease, stop: async () => ((renewing = false), await loop) };
    }),
  );
  t.after(async () => {
    for (const n of nodes) {
      await n.stop();
      n.redis.disconnect();
    }
    await server.stop();
  });

  // Sample both nodes' belief for a while: never both, and someone nearly all the time.
  const sample = async (ms: number) => {
    let both = 0;
    let holders = 0;
    let samples = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const held = nodes.filter((n) => n.lease.held).length;
      if (held === 2) both++;
      if (held > 0) holders++;
      samples++;
      await new Promise((r) => setTimeout(r, 2));
    }
    return { both, holders, samples };
  };
  const steady = await sample(TTL * 6);
  assert.equal(steady.both, 0, 'never two holders');
  assert.ok(steady.holders > steady.samples * 0.8, `held most of the time: ${JSON.stringify(steady)}`);

  // The holder dies (stops renewing, never releases): the other takes over once the TTL runs out, never before.
  const holder = nodes.find((n) => n.lease.held)!;
  const other = nodes.find((n) => n !== holder)!;
  await holder.stop();
  holder.redis.disconnect();
  const failover = await sample(TTL * 4);
  assert.equal(failover.both, 0, 'never two holders across the failover');
  assert.equal(other.lease.held, true, 'the survivor holds the lease');

  // Letting go hands it over at once: a fresh contender gets it on its first try.
  const { redis, health } = await redisNode(server.url, 'node-c');
  t.after(() => redis.disconnect());
  const third = new Lease(redis, 'status-refresh', 'node-c', TTL, health);
  assert.equal(await third.renew(), false, 'held by the survivor');
  await other.stop();
  await other.lease.release();
  assert.equal(other.lease.held, false);
  assert.equal(await third.renew(), true, 'released: taken at once');
});
