import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { redisKeys } from '../../src/fleet/redis-keys.js';
import { RedisSessionRegistry } from '../../src/fleet/redis-session-registry.js';
import { eventually } from '../helpers/eventually.js';
import { StubSession } from '../helpers/live-session-stub.js';
import { redisNode, startTestRedis } from '../helpers/redis-server.js';

const HEARTBEAT_MS = 500;

async function node(url: string, nodeId: string) {
  const { redis, health } = await redisNode(url, nodeId);
  const registry = new RedisSessionRegistry({ redis, nodeId, heartbeatMs: HEARTBEAT_MS, health });
  registry.start();
  return { redis, health, registry };
}

test('every node lists every live node\'s calls with its node id; ended calls and dead nodes leave the list', async (t) => {
  const server = await startTestRedis();
  const a = await node(server.url, 'node-a');
  const b = await node(server.url, 'node-b');
  const raw = new Redis(server.url);
  t.after(async () => {
    for (const n of [a, b]) {
      await n.registry.close();
      n.redis.disconnect();
    }
    raw.disconnect();
    await server.stop();
  });

  const onA = new StubSession('call-on-a');
  const onB = new StubSession('call-on-b');
  a.registry.add(onA);
  b.registry.add(onB);
  const ids = async (reg: RedisSessionRegistry) => (await reg.list()).map((s) => `${s.callId}@${s.nodeId}`).sort();
  const listed = (reg: RedisSessionRegistry, n: number, what: string) => eventually(() => ids(reg), (x) => x.length === n, 10_000, what);
  assert.deepEqual(await listed(a.registry, 2, 'A to list both calls'), ['call-on-a@node-a', 'call-on-b@node-b']);
  assert.deepEqual(await ids(b.registry), ['call-on-a@node-a', 'call-on-b@node-b']);
  assert.equal(await raw.get(redisKeys.callOwner('call-on-b')), 'node-b');
  assert.equal(a.registry.size, 1, 'a node holds only its own sessions in memory');

  // Another node (or an older version) wrote garbage: it is skipped, never shown or thrown.
  await raw.hset(redisKeys.nodeCalls('node-b'), 'bad', '{"callId":"bad\\n","sampleRate":"x"}', 'worse', 'not json');
  assert.deepEqual(await ids(a.registry), ['call-on-a@node-a', 'call-on-b@node-b']);

  b.registry.remove(onB);
  assert.deepEqual(await listed(a.registry, 1, 'the ended call to leave'), ['call-on-a@node-a']);
  assert.equal(await raw.get(redisKeys.callOwner('call-on-b')), null, 'the owner key goes with the call');

  // B stops heartbeating without leaving (a crash): its calls leave every list when its heartbeat expires.
  b.registry.add(new StubSession('call-on-b2'));
  await listed(a.registry, 2, 'the new call on B');
  b.redis.disconnect();
  assert.deepEqual(await listed(a.registry, 1, 'the dead node\'s call to leave'), ['call-on-a@node-a']);
});

test('two processes given one NODE_ID are told so', async (t) => {
  const server = await startTestRedis();
  const one = await redisNode(server.url, 'web-1');
  const two = await redisNode(server.url, 'web-1');
  const told: number[] = [];
  const registry = (n: typeof one, startedAt: number) =>
    new RedisSessionRegistry({ redis: n.redis, nodeId: 'web-1', heartbeatMs: HEARTBEAT_MS, health: n.health, now: () => startedAt, onDuplicateNode: (other) => told.push(other.startedAt) });
  t.after(async () => {
    one.redis.disconnect();
    two.redis.disconnect();
    await server.stop();
  });
  const first = registry(one, 1000);
  const second = registry(two, 2000);
  await first.heartbeat();
  await first.heartbeat();
  assert.deepEqual(told, [], 'its own previous beat is no duplicate');
  await second.heartbeat(); // the first beat of a run may replace a previous run's
  await first.heartbeat();
  assert.deepEqual(told, [2000]);
});
