import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionSnapshot } from '../../src/call/session-registry.js';
import { eventually } from '../helpers/eventually.js';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { startFleetGateway } from '../helpers/fleet-gateway.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const H = 500;

async function sessions(base: string): Promise<SessionSnapshot[]> {
  const res = await fetch(`${base}/voicebot/sessions`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { sessions: SessionSnapshot[] }).sessions;
}

test('webhook on node A, media WebSocket on node B: B has the details, and A lists B\'s call with B\'s node id', async (t) => {
  const server = await startTestRedis();
  const agentsA = [new ScriptedAgent('scripted'), new ScriptedAgent('alt')];
  const agentsB = [new ScriptedAgent('scripted'), new ScriptedAgent('alt')];
  const a = await startFleetGateway({ redisUrl: server.url, nodeId: 'node-a', heartbeatMs: H, agents: agentsA });
  const b = await startFleetGateway({ redisUrl: server.url, nodeId: 'node-b', heartbeatMs: H, agents: agentsB });
  t.after(async () => {
    await a.close();
    await b.close();
    await server.stop();
  });

  const callSid = 'b6cfaf5f5cef3ca0fc937749ef96d245';
  const hook = await fetch(`${a.base}/voicebot/connect?CallSid=${callSid}&CallFrom=09876543210&CallTo=08047491899&Direction=incoming&CustomField=crm-42&agent=alt`);
  assert.equal(hook.status, 200);

  // The load balancer sends the stream to B, without the agent on the URL: B learns it from A's webhook.
  const ws = await ExotelSocket.open(`${b.wsBase}/voicebot/ws?call_id=${callSid}`);
  const startedOnB = agentsB[1]!.nextCall();
  ws.send({ event: 'connected' });
  ws.send({
    event: 'start',
    stream_sid: 'stream-x',
    start: { stream_sid: 'stream-x', call_sid: callSid, custom_parameters: {}, media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' } },
  });
  await startedOnB;
  assert.equal(agentsA[1]!.calls.length + agentsB[0]!.calls.length, 0, 'the call runs on B with the webhook\'s agent');

  const onA = await eventually(() => sessions(a.base), (l) => l.some((s) => s.agent === 'alt'), 10_000, 'A to list B\'s call');
  assert.equal(onA.length, 1);
  assert.equal(onA[0]!.callId, callSid);
  assert.equal(onA[0]!.nodeId, 'node-b');
  assert.equal(onA[0]!.from, '09876543210', 'From from the webhook on A');
  assert.equal(onA[0]!.to, '08047491899');
  assert.equal(onA[0]!.direction, 'incoming');
  assert.equal(onA[0]!.state, 'streaming');
  assert.deepEqual((await sessions(b.base)).map((s) => s.nodeId), ['node-b']);

  const ready = (await (await fetch(`${a.base}/ready`)).json()) as Record<string, unknown>;
  assert.deepEqual(ready, { ready: true, status: 'ok', fleet: { status: 'ok', nodeId: 'node-a' } });

  ws.stop();
  await ws.closed;
  await eventually(() => sessions(a.base), (l) => l.length === 0, 10_000, 'the ended call to leave A\'s list');

  // Redis gone: the same split still takes the call; B starts it without the details (default agent), never fails it.
  await server.stop();
  assert.equal((await fetch(`${a.base}/voicebot/connect?CallSid=call-2&CallFrom=09876543210&agent=alt`)).status, 200);
  const ws2 = await ExotelSocket.open(`${b.wsBase}/voicebot/ws?call_id=call-2`);
  const second = agentsB[0]!.nextCall();
  ws2.start({ callSid: 'call-2' });
  await second;
  assert.deepEqual((await sessions(b.base)).map((s) => [s.callId, s.agent, s.state]), [['call-2', 'scripted', 'streaming']]);
  ws2.stop();
  await ws2.closed;
});
