import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

test('draining refuses new calls, lets live ones finish, then closes', async () => {
  const agent = new ScriptedAgent();
  const gw = await startGateway({}, [agent]);
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=live1`);
  s.start();
  await agent.nextCall();
  const drained = gw.gateway.drain(10_000);
  assert.equal((await fetch(`${gw.base}/ready`)).status, 503);
  assert.equal((await fetch(`${gw.base}/health`)).status, 200);
  assert.equal((await fetch(`${gw.base}/voicebot/connect?CallSid=x`)).status, 503);
  await assert.rejects(ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=late`), /HTTP 503/);
  s.media(new Int16Array(160));
  s.stop();
  assert.equal((await s.closed).code, 1000);
  assert.deepEqual(await drained, { endedByDrain: 0 });
});

test('calls still live at the drain deadline are ended with 1001', async () => {
  const agent = new ScriptedAgent();
  const gw = await startGateway({}, [agent]);
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=stuck1`);
  s.start();
  const call = await agent.nextCall();
  assert.deepEqual(await gw.gateway.drain(200), { endedByDrain: 1 });
  assert.equal((await s.closed).code, 1001);
  assert.deepEqual(call.ends, ['shutdown']);
});
