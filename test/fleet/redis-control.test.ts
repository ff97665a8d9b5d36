// Live-call control across two nodes sharing a Redis (a redis-server of the test's own): hang-up, transfer and
// say sent to node A act on node B's call; a node that does not answer is a 503; malformed messages are dropped;
// with Redis gone a node still controls its own calls and says that others were not asked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { MemorySessionRegistry } from '../../src/call/session-registry.js';
import { RedisControlBus } from '../../src/fleet/redis-control-bus.js';
import { createLogger } from '../../src/observability/logger.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { nextReply } from '../helpers/heard-audio.js';
import { control, eventData, recordWhen, speakingAgent, startControlGateway, type ControlGateway } from '../helpers/live-control.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

// As the fleet's connections are set up (no offline queue: a stopped Redis fails commands at once), with time-outs
// generous enough for a busy test machine.
const connect = (url: string) => new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 3000, connectTimeout: 10_000 });

interface Node {
  gw: ControlGateway;
  bus: RedisControlBus;
  clients: Redis[];
}

let redis: TestRedis;
let admin: Redis;
let a: Node;
let b: Node;
let desk: OfflineAgent;

async function startNode(nodeId: string): Promise<Node> {
  const clients = [connect(redis.url), connect(redis.url)];
  for (const c of clients) c.on('error', () => undefined); // a stopped Redis is part of the test
  await Promise.all(clients.map((c) => c.connect()));
  let bus: RedisControlBus | undefined;
  const gw = await startControlGateway([desk], {
    nodeId,
    registry: new MemorySessionRegistry(),
    control: (local) => (bus = new RedisControlBus({ redis: clients[0], subscriber: clients[1], nodeId, local, log: createLogger('silent') })),
  });
  await bus!.start();
  return { gw, bus: bus!, clients };
}

/**
 * Registers B as the owner of its call, as the fleet's session registry does (exovoice:call-owner:<callId>);
 * the one place to switch to the real registry once it is wired in.
 */
async function ownedBy(call: SimulatedCall, nodeId: string): Promise<void> {
  await admin.set(`exovoice:call-owner:${call.callSid}`, nodeId, 'PX', 60_000);
}

async function callOnB(): Promise<SimulatedCall> {
  const call = await b.gw.dial({});
  await call.waitFor('firstBotAudio', { timeoutMs: 15_000 });
  await ownedBy(call, 'node-b');
  return call;
}

before(async () => {
  redis = await startTestRedis();
  admin = connect(redis.url);
  admin.on('error', () => undefined);
  await admin.connect();
  desk = await speakingAgent('desk', 'Hello.');
  [a, b] = await Promise.all([startNode('node-a'), startNode('node-b')]);
});

after(async () => {
  for (const n of [a, b]) {
    await n?.bus.close();
    await n?.gw.close();
    for (const c of n?.clients ?? []) c.disconnect();
  }
  admin?.disconnect();
  await redis?.stop();
});

describe('control sent to node A acts on node B', () => {
  it("say: B's call speaks the line, the answer names B, the timeline names A", async () => {
    const call = await callOnB();
    const res = await control(a.gw.base, call.callSid, 'say', { text: 'Your order has shipped.' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'accepted', action: 'say', callId: call.callSid, node: 'node-b' });
    const greeting = await nextReply(call, 0);
    await nextReply(call, greeting.endMs);
    const record = await recordWhen(b.gw.store, call.callSid, (r) => r.transcript.filter((t) => t.role === 'agent').length === 2, 'the line on B');
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
      const record = await recordWhen(b.gw.store, call.callSid, (r) => r.endReason !== null, 'the end on B');
      assert.equal(record.endReason, endReason);
      // The owner key still names B (the test wrote it): B answers that the call is not live.
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
    await admin.set('exovoice:call-owner:ghost-call', 'node-ghost', 'PX', 60_000);
    const res = await control(a.gw.base, 'ghost-call', 'hangup');
    assert.equal(res.status, 503);
    assert.equal(res.body.node, 'node-ghost');
  });

  it('503 after CONTROL_TIMEOUT_MS when the owner hears the request and never answers', async () => {
    const mute = connect(redis.url);
    mute.on('error', () => undefined);
    await mute.connect();
    await mute.subscribe('exovoice:control:node-mute');
    try {
      await admin.set('exovoice:call-owner:mute-call', 'node-mute', 'PX', 60_000);
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

    // Back (empty): once the nodes have reconnected and re-subscribed, A reaches B's call again.
    await redis.restart();
    const deadline = Date.now() + 20_000;
    let res = { status: 0, body: {} as any };
    while (Date.now() < deadline) {
      await ownedBy(onB, 'node-b').catch(() => undefined);
      res = await control(a.gw.base, onB.callSid, 'say', { text: 'We are back.' });
      if (res.status === 202) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.node, 'node-b');
  });
});
