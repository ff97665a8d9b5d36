// Live-call control across two nodes built as `exovoice serve` builds them, sharing a Redis (a redis-server of the
// test's own) and a Postgres database: hang-up, transfer and say sent to node A act on node B's call, whose owner
// A learns from B's session registry; a node that does not answer is a 503; malformed messages are dropped; with
// Redis gone a node still controls its own calls and says that others were not asked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { RedisControlBus } from '../../src/fleet/redis-control-bus.js';
import { redisKeys } from '../../src/fleet/redis-keys.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { eventually } from '../helpers/eventually.js';
import { startFleetGateway, type FleetGateway } from '../helpers/fleet-gateway.js';
import { nextReply } from '../helpers/heard-audio.js';
import { API_KEY, control, eventData, recordWhen, speakingAgent } from '../helpers/live-control.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

// Owner keys live 1.5 periods: long enough that a busy machine's event-loop stalls (speech synthesis) never let a
// live call's key lapse between two heartbeats.
const H = 2000;

interface Node {
  gw: FleetGateway;
  bus: RedisControlBus;
}

let redis: TestRedis;
let db: TestDatabase;
let admin: Redis;
let a: Node;
let b: Node;
let desk: OfflineAgent;

async function startNode(nodeId: string): Promise<Node> {
  const gw = await startFleetGateway({ redisUrl: redis.url, nodeId, heartbeatMs: H, databaseUrl: db.url, env: { API_KEY }, agents: [desk] });
  assert.ok(gw.control instanceof RedisControlBus, 'the fleet gives the gateway its Redis control bus');
  return { gw, bus: gw.control };
}

/** The owner key as the call's node wrote it (its session registry: on start and every heartbeat), once it names `nodeId`. */
function ownerBecomes(callSid: string, nodeId: string | null): Promise<string | null> {
  return eventually(() => admin.get(redisKeys.callOwner(callSid)), (owner) => owner === nodeId, 10_000, `the owner of ${callSid} to be ${nodeId}`);
}

async function callOnB(): Promise<SimulatedCall> {
  const call = await b.gw.dial({});
  await call.waitFor('firstBotAudio', { timeoutMs: 15_000 });
  await ownerBecomes(call.callSid, 'node-b');
  return call;
}

before(async () => {
  redis = await startTestRedis();
  db = await createTestDatabase();
  admin = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 3000 });
  admin.on('error', () => undefined); // a stopped Redis is part of the test
  await admin.connect();
  desk = await speakingAgent('desk', 'Hello.');
  [a, b] = await Promise.all([startNode('node-a'), startNode('node-b')]);
});

after(async () => {
  for (const n of [a, b]) await n?.gw.close();
  admin?.disconnect();
  await redis?.stop();
  await db?.drop();
});

describe('control sent to node A acts on node B', () => {
  it("say: B's call speaks the line, the answer names B, the timeline names A", async () => {
    const call = await callOnB();
    const res = await control(a.gw.base, call.callSid, 'say', { text: 'Your order has shipped.' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'accepted', action: 'say', callId: call.callSid, node: 'node-b' });
    const greeting = await nextReply(call, 0);
    await nextReply(call, greeting.endMs);
    const record = await recordWhen(a.gw.store!, call.callSid, (r) => r.transcript.filter((t) => t.role === 'agent').length === 2, 'the line on B');
    assert.equal(record.transcript.at(-1)?.text, 'Your order has shipped.');
    const ev = eventData(record, 'control.say');
    assert.equal(ev?.outcome, 'accepted');
    assert.equal((ev?.by as { node?: string }).node, 'node-a');
    assert.ok(a.bus.stats.forwarded >= 1 && b.bus.stats.served >= 1);
  });

  for (const [kind, endReason] of [
    ['hangup', 'bot-hangup'],
    ['transfer', 'transfer'],
  ] as const) {
    it(`${kind}: B closes its call's socket and records ${endReason}`, async () => {
      const call = await callOnB();
      const res = await control(a.gw.base, call.callSid, kind);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.node, 'node-b');
      const closed = await call.waitFor('closed', { timeoutMs: 10_000 });
      assert.equal(closed.endedBy, 'bot');
      const record = await recordWhen(a.gw.store!, call.callSid, (r) => r.endReason !== null, 'the end on B');
      assert.equal(record.endReason, endReason);
      // B's registry deleted the owner key as the call ended: no node has it live.
      await ownerBecomes(call.callSid, null);
      assert.equal((await control(a.gw.base, call.callSid, kind)).status, 404);
    });
  }

  it("a refusal on B comes back as B's answer", async () => {
    const call = await callOnB();
    const res = await control(a.gw.base, call.callSid, 'agent', { agent: 'nobody' });
    assert.equal(res.status, 400);
    assert.equal(res.body.field, 'agent');
  });

  it('404 when no node owns the call', async () => {
    const res = await control(a.gw.base, 'not-live-anywhere', 'hangup');
    assert.equal(res.status, 404);
    assert.doesNotMatch(res.body.message, /unreachable/);
  });
});

describe('an owner that does not answer', () => {
  it('503 at once when nobody listens on the owner channel (a dead node whose key has not expired)', async () => {
    await admin.set(redisKeys.callOwner('ghost-call'), 'node-ghost', 'PX', 60_000);
    const res = await control(a.gw.base, 'ghost-call', 'hangup');
    assert.equal(res.status, 503);
    assert.equal(res.body.node, 'node-ghost');
  });

  it('503 after CONTROL_TIMEOUT_MS when the owner hears the request and never answers', async () => {
    const mute = new Redis(redis.url, { lazyConnect: true });
    mute.on('error', () => undefined);
    await mute.connect();
    await mute.subscribe('exovoice:control:node-mute');
    try {
      await admin.set(redisKeys.callOwner('mute-call'), 'node-mute', 'PX', 60_000);
      const startedAt = Date.now();
      const res = await control(a.gw.base, 'mute-call', 'say', { text: 'Anyone there?' });
      assert.equal(res.status, 503);
      assert.equal(res.body.node, 'node-mute');
      assert.ok(Date.now() - startedAt >= 1900, 'waited for the owner');
    } finally {
      mute.disconnect();
    }
  });
});

describe('messages from other nodes are checked', () => {
  it('malformed requests and replies are counted and dropped; the bus carries on', async () => {
    const before = { b: b.bus.stats.malformed, a: a.bus.stats.malformed };
    const junk = ['not json', '{"requestId":"x"}', JSON.stringify({ requestId: 'r', callId: 'c', action: { kind: 'explode' }, replyTo: 'node-a' }), JSON.stringify({ requestId: 'r', callId: 'c', action: { kind: 'say', text: '' }, replyTo: 'node-a' }), '[1,2,3]'];
    for (const m of junk) await admin.publish('exovoice:control:node-b', m);
    await admin.publish('exovoice:control-reply:node-a', JSON.stringify({ requestId: 'r', outcome: { status: 'accepted', nodeId: 'bad node id!' } }));
    const deadline = Date.now() + 5000;
    while ((b.bus.stats.malformed < before.b + junk.length || a.bus.stats.malformed < before.a + 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.bus.stats.malformed, before.b + junk.length);
    assert.equal(a.bus.stats.malformed, before.a + 1);
    const call = await callOnB();
    assert.equal((await control(a.gw.base, call.callSid, 'hangup')).status, 202);
  });
});

describe('Redis gone', () => {
  it('each node still controls its own calls, for others the 404 says the fleet was not asked; control spans the fleet again once Redis is back', async () => {
    const onA = await a.gw.dial({});
    await onA.waitFor('firstBotAudio', { timeoutMs: 15_000 });
    const onB = await callOnB();
    await redis.stop();
    const remote = await control(a.gw.base, onB.callSid, 'hangup');
    assert.equal(remote.status, 404);
    assert.match(remote.body.message, /unreachable/);
    assert.equal(onB.isClosed, false, "B's call goes on");
    const own = await control(a.gw.base, onA.callSid, 'hangup');
    assert.equal(own.status, 202);
    await onA.waitFor('closed', { timeoutMs: 10_000 });

    // Back (empty): once B's registry has re-registered its call and the nodes have re-subscribed, A reaches it again.
    await redis.restart();
    const deadline = Date.now() + 20_000;
    let res = { status: 0, body: {} as any };
    while (Date.now() < deadline) {
      res = await control(a.gw.base, onB.callSid, 'say', { text: 'We are back.' });
      if (res.status === 202) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.node, 'node-b');
  });
});
