import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { CallDetails } from '../../src/call/call-details.js';
import { RedisCallDetailsStore } from '../../src/fleet/redis-call-details.js';
import { redisKeys } from '../../src/fleet/redis-keys.js';
import { eventually } from '../helpers/eventually.js';
import { redisNode, startTestRedis } from '../helpers/redis-server.js';

function details(callId: string): CallDetails {
  return { callId, from: '09876543210', to: '08047491899', direction: 'incoming', customField: 'crm-1', agent: 'echo', params: { CallSid: callId }, receivedAt: Date.now() };
}

test('call details written on one node are read on another; bad entries and an unreachable Redis read as "no details"', async (t) => {
  const server = await startTestRedis();
  const nodes = await Promise.all(
    ['node-a', 'node-b'].map(async (id) => {
      const node = await redisNode(server.url, id);
      return { ...node, store: new RedisCallDetailsStore(node.redis, node.health) };
    }),
  );
  const raw = new Redis(server.url);
  t.after(async () => {
    for (const n of nodes) n.redis.disconnect();
    raw.disconnect();
    await server.stop();
  });
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];

  const first = details('call-1');
  await a.store.put(first);
  assert.deepEqual(JSON.parse(JSON.stringify(await b.store.get('call-1'))), first);
  assert.ok(Number(await raw.pttl(redisKeys.callDetails('call-1'))) > 590_000, 'kept 10 minutes');
  assert.equal(await b.store.get('call-2'), undefined);

  // Written by something else: another call's details, or not details at all.
  await raw.set(redisKeys.callDetails('call-3'), JSON.stringify(details('call-4')));
  await raw.set(redisKeys.callDetails('call-5'), '{"callId":"call-5","params":{"a":1}}');
  await raw.set(redisKeys.callDetails('call-6'), 'x'.repeat(300_000));
  for (const id of ['call-3', 'call-5', 'call-6']) assert.equal(await b.store.get(id), undefined, id);

  // Redis down: the webhook still answers (its node keeps the details), another node's socket gets none, fast.
  raw.disconnect();
  await server.stop();
  await a.store.put(details('call-7'));
  assert.equal((await a.store.get('call-7'))?.from, '09876543210');
  const started = performance.now();
  assert.equal(await b.store.get('call-7'), undefined);
  assert.ok(performance.now() - started < 5000, 'a lookup never waits long');
  assert.equal(b.health.degraded, true);

  // Redis back (empty): what A took meanwhile is written once A sees Redis again.
  await server.restart();
  await eventually(async () => a.redis.status, (s) => s === 'ready', 15_000, 'A to reconnect');
  a.health.ok();
  assert.equal((await eventually(() => b.store.get('call-7'), (d) => d !== undefined, 10_000, 'the details to be re-registered'))!.to, '08047491899');
});
