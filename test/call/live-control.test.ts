// The call side of live-call control, with scripted agents on a bare Exotel socket: what an agent switch does to
// the agent that leaves (detached: it can no longer play, its signal is aborted) and to the one that comes, and
// the actions a call that has not started (or whose agent is still starting) refuses or takes.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryJournal } from '../helpers/call-journal.js';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { API_KEY, control } from '../helpers/live-control.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const journal = new MemoryJournal();
const first = new ScriptedAgent('first');
const second = new ScriptedAgent('second');
const slow = new ScriptedAgent('slow', { startDelayMs: 1500 });
let gw: TestGateway;

before(async () => {
  gw = await startGateway({ API_KEY }, [first, second, slow], { journal });
});

after(async () => {
  await gw?.close();
});

async function open(callId: string, agent = 'first'): Promise<ExotelSocket> {
  return ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=${callId}&agent=${agent}`);
}

const tone = () => Int16Array.from({ length: 1600 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));

it('a switch detaches the old agent and the new one gets the call', async () => {
  const sock = await open('switch1');
  const joined = first.nextCall();
  sock.start({ callSid: 'switch1' });
  const old = await joined;
  const next = second.nextCall();
  const res = await control(gw.base, 'switch1', 'agent', { agent: 'second' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const fresh = await next;
  assert.deepEqual(old.ends, ['agent-switch']);
  assert.equal(old.control.signal.aborted, true);
  assert.equal(fresh.control.signal.aborted, false);
  assert.equal(fresh.control.info.agentName, 'second');
  await sock.waitFor((m) => m.event === 'clear');
  // The old agent's late audio never reaches Exotel; the new agent's does.
  const before = sock.received.filter((m) => m.event === 'media').length;
  old.control.play(tone());
  old.control.flush();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sock.received.filter((m) => m.event === 'media').length, before);
  fresh.control.play(tone());
  fresh.control.flush();
  await sock.waitFor((m) => m.event === 'media');
  sock.media(new Int16Array(160));
  await until(() => fresh.samples > 0, 5000, 'caller audio for the new agent');
  assert.deepEqual(journal.eventsOf('switch1', 'agent-switch')[0].data, { from: 'first', to: 'second' });
  sock.close();
});

it('a call whose new agent is still starting refuses another switch, and takes a hang-up', async () => {
  const sock = await open('switch2');
  const joined = first.nextCall();
  sock.start({ callSid: 'switch2' });
  await joined;
  assert.equal((await control(gw.base, 'switch2', 'agent', { agent: 'slow' })).status, 202);
  const again = await control(gw.base, 'switch2', 'agent', { agent: 'second' });
  assert.equal(again.status, 409);
  assert.match(again.body.message, /still starting/);
  assert.equal((await control(gw.base, 'switch2', 'hangup')).status, 202);
  const closed = await sock.closed;
  assert.equal(closed.code, 1000);
  await until(() => journal.eventsOf('switch2', 'end').length === 1, 5000, 'the end');
  assert.equal(journal.eventsOf('switch2', 'end')[0].data.reason, 'bot-hangup');
});

it('before the stream starts: say and switch are refused, hang-up ends the socket', async () => {
  const sock = await open('early1');
  await until(() => journal.eventsOf('early1', 'ws-open').length === 1, 5000, 'the socket');
  for (const [kind, body] of [
    ['say', { text: 'Hello.' }],
    ['agent', { agent: 'second' }],
  ] as const) {
    const res = await control(gw.base, 'early1', kind, body);
    assert.equal(res.status, 409, kind);
    assert.match(res.body.message, /not started/);
  }
  assert.equal(journal.eventsOf('early1', 'control.say')[0].data.outcome, 'rejected');
  assert.equal((await control(gw.base, 'early1', 'hangup')).status, 202);
  assert.equal((await sock.closed).code, 1000);
});
