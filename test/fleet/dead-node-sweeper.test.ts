import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { DeadNodeSweeper } from '../../src/fleet/dead-node-sweeper.js';
import { startFleet, type Fleet } from '../../src/fleet/fleet.js';
import { Lease } from '../../src/fleet/lease.js';
import { redisKeys } from '../../src/fleet/redis-keys.js';
import { RedisSessionRegistry } from '../../src/fleet/redis-session-registry.js';
import type { CallStore } from '../../src/store/call-store.js';
import { openPostgresCallStore, type PostgresCallStore } from '../../src/store/postgres-call-store.js';
import { openSqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { eventually } from '../helpers/eventually.js';
import { StubSession } from '../helpers/live-session-stub.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { redisNode, startTestRedis } from '../helpers/redis-server.js';

// Long enough that a busy machine's event-loop stalls do not make the slow node miss its TTL.
const H = 2000;
const silent = pino({ level: 'silent' });

function fleetNode(redisUrl: string, nodeId: string, store: CallStore): Promise<Fleet> {
  return startFleet({ config: { redisUrl, nodeId, heartbeatMs: H, exotel: { callsPerMinute: 60 } }, logger: silent, store });
}

/** Each node's own connection to the fleet's one database, as each `exovoice serve` opens DATABASE_URL. */
function nodeStores(db: TestDatabase, n: number): Promise<PostgresCallStore[]> {
  return Promise.all(Array.from({ length: n }, () => openPostgresCallStore({ connectionString: db.url, poolSize: 3, flushIntervalMs: 20 })));
}

function liveCall(store: CallStore, callSid: string, direction: 'inbound' | 'outbound' = 'inbound'): Promise<string> {
  return store.create({ direction, callSid, status: 'in-progress' });
}

// Two sweeping nodes (A and C, each with its own connection to the fleet's database) watch B die and S stay slow
// but alive.
test('a dead node\'s calls are closed once (node-lost), by one node, and a slow but heartbeating node keeps its calls', async (t) => {
  const server = await startTestRedis();
  const db = await createTestDatabase();
  const [storeA, storeB, storeC] = await nodeStores(db, 3);
  const a = await fleetNode(server.url, 'node-a', storeA!);
  const c = await fleetNode(server.url, 'node-c', storeC!);
  const b = await fleetNode(server.url, 'node-b', storeB!);
  // What the test reads, through A's connection; B wrote the records of its calls, S's through A.
  const store = storeA!;
  // S heartbeats by hand, 1.1 periods apart: late every time, but within its TTL (1.5 periods).
  const { redis: sRedis, health: sHealth } = await redisNode(server.url, 'node-s');
  const s = new RedisSessionRegistry({ redis: sRedis, nodeId: 'node-s', heartbeatMs: H, health: sHealth });
  let slow = true;
  const slowBeats = (async () => {
    while (slow) {
      await s.heartbeat();
      await new Promise((r) => setTimeout(r, H * 1.1));
    }
  })();
  t.after(async () => {
    slow = false;
    await slowBeats;
    await Promise.all([a.close(), b.close(), c.close()]);
    sRedis.disconnect();
    await Promise.all([storeA, storeB, storeC].map((x) => x!.close()));
    await server.stop();
    await db.drop();
  });

  const bInbound = await liveCall(storeB!, 'sid-b1');
  const bOutbound = await liveCall(storeB!, 'sid-b2', 'outbound');
  const sInbound = await liveCall(store, 'sid-s1');
  b.registry.add(new StubSession('sid-b1'));
  b.registry.add(new StubSession('sid-b2'));
  s.add(new StubSession('sid-s1'));
  await eventually(() => a.registry.list(), (l) => l.length === 3, 10_000, 'A to list the calls of B and S');
  assert.ok([a, b, c].filter((n) => n.leases.nodeSweeper.held).length <= 1, 'one node at most holds the sweeper lease');

  // B dies holding its calls: no goodbye, its heartbeat just stops.
  const diedAt = Date.now();
  b.redis.disconnect();
  const closed = await eventually(() => store.get(bInbound), (r) => r?.endedAt != null, 20_000, 'B\'s inbound call to be closed');
  const detectedMs = Date.now() - diedAt;
  assert.equal(closed!.endReason, 'node-lost');
  assert.equal(closed!.status, 'completed');
  const lostEvents = closed!.events.filter((e) => e.type === 'node-lost');
  assert.equal(lostEvents.length, 1);
  assert.equal(lostEvents[0]!.data.nodeId, 'node-b');
  const outbound = await eventually(() => store.get(bOutbound), (r) => r?.endedAt != null, 10_000, 'B\'s outbound call to be closed');
  assert.equal(outbound!.endReason, 'node-lost');
  assert.equal(outbound!.status, 'in-progress', 'an outbound call\'s status stays Exotel\'s to settle');
  assert.deepEqual((await a.registry.list()).map((x) => x.nodeId), ['node-s'], 'B\'s calls left the list');
  console.log(JSON.stringify({ heartbeatMs: H, deadNodeDetectedMs: detectedMs }));

  // Both sweepers keep running for several more periods: still one node-lost event per call, and S's call lives.
  await new Promise((r) => setTimeout(r, H * 6));
  for (const id of [bInbound, bOutbound]) {
    assert.equal((await store.get(id))!.events.filter((e) => e.type === 'node-lost').length, 1, `closed once: ${id}`);
  }
  const sRecord = await store.get(sInbound);
  assert.equal(sRecord!.endedAt, null, 'nothing is marked lost while its node heartbeats');
  assert.deepEqual((await c.registry.list()).map((x) => x.callId), ['sid-s1']);
});

test('calls of a dead node whose records cannot be read (the database down) are handed back and closed by a later sweep', async (t) => {
  const server = await startTestRedis();
  const db = await createTestDatabase();
  // B's and C's connections to the database; A's refuses every read (a closed store throws on each call).
  const [storeB, storeC, broken] = await nodeStores(db, 3);
  await broken!.close();
  const a = await fleetNode(server.url, 'node-a', broken!);
  const b = await fleetNode(server.url, 'node-b', storeB!);
  const raw = new Redis(server.url);
  let c: Fleet | undefined;
  t.after(async () => {
    await Promise.all([a.close(), b.close(), c?.close()]);
    raw.disconnect();
    await Promise.all([storeB!.close(), storeC!.close()]);
    await server.stop();
    await db.drop();
  });
  const id = await liveCall(storeB!, 'sid-b1');
  b.registry.add(new StubSession('sid-b1'));
  await eventually(() => a.registry.list(), (l) => l.length === 1, 10_000, 'A to list B\'s call');
  b.redis.disconnect();

  // A claims B, cannot read the record, and puts B's call back for the next sweep.
  await eventually(() => raw.get(redisKeys.node('node-b')), (beat) => beat === null, 10_000, 'B\'s heartbeat to expire');
  await new Promise((r) => setTimeout(r, H * 2));
  assert.ok(await raw.sismember(redisKeys.nodes, 'node-b'), 'B is still to be swept');
  assert.ok(await raw.hexists(redisKeys.nodeCalls('node-b'), 'sid-b1'));

  // A node that can read the database takes over the sweeping: the call is closed.
  c = await fleetNode(server.url, 'node-c', storeC!);
  await a.close();
  const closed = await eventually(() => storeB!.get(id), (r) => r?.endedAt != null, 20_000, 'the call to be closed');
  assert.equal(closed!.endReason, 'node-lost');
  assert.equal(await raw.sismember(redisKeys.nodes, 'node-b'), 0);
});

test('a node restarted under the same NODE_ID closes the calls its previous run left, and spares the ones it already took', async (t) => {
  const server = await startTestRedis();
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-sweeper-'));
  const store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const node = await redisNode(server.url, 'node-r');
  t.after(async () => {
    node.redis.disconnect();
    await store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const left = await liveCall(store, 'sid-left');
  const taken = await liveCall(store, 'sid-taken');
  const snapshot = (callId: string) => JSON.stringify({ ...new StubSession(callId).snapshot(Date.now()), nodeId: 'node-r' });
  await node.redis.hset(redisKeys.nodeCalls('node-r'), 'sid-left', snapshot('sid-left'), 'sid-taken', snapshot('sid-taken'));

  const lease = new Lease(node.redis, 'node-sweeper', 'node-r', H, node.health);
  const sweeper = new DeadNodeSweeper({ redis: node.redis, nodeId: 'node-r', store, lease, health: node.health, log: silent });
  assert.equal(await sweeper.closePreviousRun((callId) => callId === 'sid-taken'), 1);
  const closed = await store.get(left);
  assert.equal(closed!.endReason, 'node-lost');
  assert.match(String(closed!.events.find((e) => e.type === 'node-lost')?.data.reason), /previous run/);
  assert.equal((await store.get(taken))!.endedAt, null);
});
