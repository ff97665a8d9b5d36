// Two nodes built as `exovoice serve` builds them, on loopback, sharing a Redis (a redis-server of the test's own)
// and a Postgres database (one of the test's own): Exotel's webhook reaches node A, the media WebSocket node B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionSnapshot } from '../../src/call/session-registry.js';
import { SimulatedCall } from '../../src/sim/index.js';
import { eventually } from '../helpers/eventually.js';
import { startFleetGateway } from '../helpers/fleet-gateway.js';
import { freePort } from '../helpers/gateway.js';
import { nextReply } from '../helpers/heard-audio.js';
import { API_KEY, control, eventData, recordWhen, speakingAgent } from '../helpers/live-control.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const H = 500;
const auth = { authorization: `Bearer ${API_KEY}` };

test('webhook on A, stream on B: B runs the webhook\'s call, A lists it and controls it, and Postgres holds one record of it', async (t) => {
  const redis = await startTestRedis();
  const db = await createTestDatabase();
  const concierge = await speakingAgent('concierge', 'Welcome.');
  const portB = await freePort();
  const node = (nodeId: string, env: Record<string, string>) =>
    startFleetGateway({ redisUrl: redis.url, nodeId, heartbeatMs: H, databaseUrl: db.url, env: { API_KEY, ...env }, agents: [new ScriptedAgent('scripted'), concierge] });
  const b = await node('node-b', { PORT: String(portB) });
  // A's public address is the load balancer's, which sends this call's WebSocket to B.
  const a = await node('node-a', { WEBHOOK_BASE_URL: `http://127.0.0.1:${portB}` });
  let call: SimulatedCall | undefined;
  t.after(async () => {
    if (call && !call.isClosed) await call.hangup().catch(() => undefined);
    await a.close();
    await b.close();
    await redis.stop();
    await db.drop();
  });

  const callSid = 'e2e0f5f5cef3ca0fc937749ef96d2451';
  const hook = await fetch(`${a.base}/voicebot/connect?CallSid=${callSid}&CallFrom=09876543210&CallTo=08047491899&Direction=incoming&CustomField=crm-42&agent=concierge`);
  assert.equal(hook.status, 200);
  const streamUrl = new URL(((await hook.json()) as { url: string }).url);
  assert.equal(streamUrl.port, String(portB));
  // Without the agent on the URL, B can only learn it (and the direction) from A's webhook, through Redis.
  streamUrl.searchParams.delete('agent');
  call = new SimulatedCall({ url: streamUrl.toString(), callSid, callerFrameMs: 20 });
  await call.start();
  const greeting = await nextReply(call, 0);

  const listed = await eventually(
    async () => ((await (await fetch(`${a.base}/voicebot/sessions`, { headers: auth })).json()) as { sessions: SessionSnapshot[] }).sessions,
    (l) => l.some((s) => s.callId === callSid),
    10_000,
    'A to list B\'s call',
  );
  assert.deepEqual(
    listed.map((s) => [s.callId, s.nodeId, s.agent, s.direction, s.from]),
    [[callSid, 'node-b', 'concierge', 'incoming', '09876543210']],
  );

  const said = await control(a.base, callSid, 'say', { text: 'Your order has shipped.' });
  assert.equal(said.status, 202, JSON.stringify(said.body));
  assert.equal(said.body.node, 'node-b');
  await nextReply(call, greeting.endMs); // heard on the socket to B
  const hungUp = await control(a.base, callSid, 'hangup');
  assert.equal(hungUp.status, 202, JSON.stringify(hungUp.body));
  assert.equal(hungUp.body.node, 'node-b');
  assert.equal((await call.waitFor('closed', { timeoutMs: 10_000 })).endedBy, 'bot');

  // Read through A's own connection: the record is in the shared database, not only in B's memory.
  const record = await recordWhen(a.store!, callSid, (r) => r.endReason !== null && r.events.some((e) => e.type === 'control.hangup'), 'the end on Postgres');
  assert.equal(record.endReason, 'bot-hangup');
  assert.equal(record.status, 'completed');
  assert.deepEqual([record.callSid, record.agent, record.from, record.to, record.customField], [callSid, 'concierge', '09876543210', '08047491899', 'crm-42']);
  assert.equal(record.transcript.filter((x) => x.role === 'agent').at(-1)?.text, 'Your order has shipped.');
  for (const type of ['control.say', 'control.hangup']) {
    const ev = eventData(record, type);
    assert.equal(ev?.outcome, 'accepted', type);
    assert.equal((ev?.by as { node?: string }).node, 'node-a', `${type} names the node it came in on`);
  }
  const types = record.events.map((e) => e.type);
  assert.ok(types.includes('webhook') && types.includes('start') && types.includes('end'), types.join(','));
  // One record: the webhook on A and the stream on B found each other's.
  const page = await a.store!.list({});
  assert.deepEqual(page.items.map((c) => c.id), [record.id]);
});

// The stream opens as soon as the webhook answers, on another node: that node must find the webhook's record, the
// inbound one A created or the outbound one A dialled (CustomField: its id) and gave the CallSid to.
test('a burst of calls, each webhook on A and its stream at once on B: one record per call, inbound and outbound', async (t) => {
  const redis = await startTestRedis();
  const db = await createTestDatabase();
  const portB = await freePort();
  const node = (nodeId: string, env: Record<string, string>) =>
    startFleetGateway({ redisUrl: redis.url, nodeId, heartbeatMs: H, databaseUrl: db.url, env, agents: [new ScriptedAgent('scripted')] });
  const b = await node('node-b', { PORT: String(portB) });
  const a = await node('node-a', { WEBHOOK_BASE_URL: `http://127.0.0.1:${portB}` });
  t.after(async () => {
    await a.close(); // hangs up the calls it dialled
    await b.close();
    await redis.stop();
    await db.drop();
  });
  const N = 20;
  const inbound = Array.from({ length: N }, (_, i) => `burst-in-${i}`);
  const outbound = Array.from({ length: N }, (_, i) => `burst-out-${i}`);
  // As POST /call leaves them before Exotel calls back: a record per dialled call, its id in CustomField.
  const dialled = await Promise.all(outbound.map(() => a.store!.create({ direction: 'outbound', status: 'dialing', to: '+919876543210' })));
  await Promise.all(inbound.map((callSid) => a.dial({ callSid })));
  await Promise.all(outbound.map((callSid, i) => a.dial({ callSid, customField: dialled[i]! })));
  // Read through B's connection (a read flushes the reading node's queued writes first: A's are left to A).
  const started = await eventually(
    () => b.store!.list({ limit: 100 }),
    (p) => p.items.filter((c) => c.status === 'in-progress').length >= 2 * N,
    20_000,
    'every call to start on B',
  );
  assert.deepEqual(started.items.map((c) => c.callSid).sort(), [...inbound, ...outbound].sort(), 'one record per call');
  const out = started.items.filter((c) => c.direction === 'outbound');
  assert.deepEqual(out.map((c) => c.id).sort(), [...dialled].sort(), 'the outbound calls on their dialled records');
});
