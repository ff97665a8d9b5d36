// Live-call control on one node: each action through the HTTP route, its effect on Exotel's wire (a simulated
// Exotel call), on the call's record (transcript, end reason, agent) and on its timeline; and the refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEchoAgent } from '../../src/agent/kinds/echo.js';
import type { OfflineAgent } from '../../src/agent/kinds/offline.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { nextReply } from '../helpers/heard-audio.js';
import { concat, silence, synthesize } from '../helpers/speech.js';
import { API_KEY, control, eventData, recordWhen, speakingAgent, startControlGateway, type ControlGateway } from '../helpers/live-control.js';

const LONG_GREETING = 'Hello and welcome. This greeting is long on purpose. It goes on for a while. It has many sentences. Still more of them. And then it ends.';

let gw: ControlGateway;
let desk: OfflineAgent;
let long: OfflineAgent;
let second: OfflineAgent;

before(async () => {
  [desk, long, second] = await Promise.all([
    speakingAgent('desk', 'Hello.'),
    speakingAgent('long', LONG_GREETING),
    speakingAgent('second', 'This is the second desk.'),
  ]);
  gw = await startControlGateway([desk, long, second, createEchoAgent()]);
});

after(async () => {
  await gw?.close();
});

async function dial(agent: string): Promise<SimulatedCall> {
  const call = await gw.dial({ webhookParams: { agent } });
  await call.waitFor('firstBotAudio', { timeoutMs: 15_000 });
  return call;
}

const agentTurns = (r: { transcript: { role: string; text: string }[] }) => r.transcript.filter((t) => t.role === 'agent');

describe('POST /calls/:id/say', () => {
  it('queued: the line is said in the agent voice after the greeting, as an agent turn, on the timeline', async () => {
    const call = await dial('desk');
    const res = await control(gw.base, call.callSid, 'say', { text: 'Your order has shipped.' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'accepted', action: 'say', callId: call.callSid, node: null });
    const greeting = await nextReply(call, 0);
    const line = await nextReply(call, greeting.endMs);
    assert.ok(line.startMs >= greeting.endMs, 'queued after the greeting');
    const record = await recordWhen(gw.store, call.callSid, (r) => agentTurns(r).length === 2, 'the said line in the transcript');
    assert.deepEqual(agentTurns(record).map((t) => t.text), ['Hello.', 'Your order has shipped.']);
    const ev = eventData(record, 'control.say');
    assert.equal(ev?.outcome, 'accepted');
    assert.equal(ev?.mode, 'queue');
    assert.equal((ev?.by as { ip?: string }).ip, '127.0.0.1');
    assert.equal(call.report().violations.length, 0, JSON.stringify(call.report().violations));
  });

  it('queued while the caller speaks: said after the answer to what they said, not over them', async () => {
    const speech = concat(await synthesize('hello', 8000, 'rms'), silence(300, 8000));
    const call = await dial('desk');
    await nextReply(call, 0);
    // Sent as the caller's voice stops: their turn is still open (600 ms endpoint) or being answered.
    await call.sendAudio(speech);
    const res = await control(gw.base, call.callSid, 'say', { text: 'One more thing.' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const record = await recordWhen(gw.store, call.callSid, (r) => agentTurns(r).some((t) => t.text === 'One more thing.'), 'the queued line');
    const roles = record.transcript.map((t) => t.role);
    assert.deepEqual(roles, ['agent', 'caller', 'agent', 'agent'], JSON.stringify(record.transcript));
    const [, caller, answer, line] = record.transcript;
    assert.equal(line.text, 'One more thing.');
    assert.ok(line.startedAt >= caller.endedAt!, 'not over the caller');
    assert.ok(answer.endedAt !== null && line.startedAt >= answer.endedAt, 'after the answer');
  });

  it('interrupt: a clear first, the greeting cut to what was heard, then the line', async () => {
    const call = await dial('long');
    const res = await control(gw.base, call.callSid, 'say', { text: 'Sorry to cut in.', mode: 'interrupt' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const cleared = await call.waitFor('clear', { timeoutMs: 10_000 });
    const line = await call.waitFor('playoutStarted', { predicate: (e) => e.atMs >= cleared.atMs, timeoutMs: 15_000 });
    assert.ok(line.atMs >= cleared.atMs);
    const record = await recordWhen(gw.store, call.callSid, (r) => agentTurns(r).length === 2 && r.transcript[0].interrupted, 'the cut greeting and the line');
    const [greeting, said] = record.transcript;
    assert.equal(greeting.interrupted, true);
    assert.ok((greeting.heardText ?? '').length < LONG_GREETING.length, `heard part: ${greeting.heardText}`);
    assert.equal(said.text, 'Sorry to cut in.');
    assert.equal(eventData(record, 'control.say')?.mode, 'interrupt');
  });

  it('refused with 409 by an agent that has no voice, and recorded as rejected', async () => {
    const call = await gw.dial({ webhookParams: { agent: 'echo' } });
    await recordWhen(gw.store, call.callSid, (r) => r.events.some((e) => e.type === 'start'), 'the call started');
    const res = await control(gw.base, call.callSid, 'say', { text: 'Hello there.' });
    assert.equal(res.status, 409);
    assert.match(res.body.message, /cannot speak/);
    const record = await recordWhen(gw.store, call.callSid, (r) => r.events.some((e) => e.type === 'control.say'), 'control.say');
    assert.equal(eventData(record, 'control.say')?.outcome, 'rejected');
  });

  it('400 naming the field for bad text or mode', async () => {
    const call = await dial('desk');
    const cases: Array<[unknown, string]> = [
      [{}, 'text'],
      [{ text: '   ' }, 'text'],
      [{ text: 'x'.repeat(1001) }, 'text'],
      [{ text: 'ring\u0007bell' }, 'text'],
      [{ text: '?!' }, 'text'],
      [{ text: 42 }, 'text'],
      [{ text: 'Hi.', mode: 'shout' }, 'mode'],
      [{ text: 'Hi.', voice: 'other' }, 'voice'],
    ];
    for (const [body, field] of cases) {
      const res = await control(gw.base, call.callSid, 'say', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.field, field, JSON.stringify(res.body));
    }
  });
});

describe('POST /calls/:id/hangup and /transfer', () => {
  for (const [kind, endReason] of [
    ['hangup', 'bot-hangup'],
    ['transfer', 'transfer'],
  ] as const) {
    it(`${kind}: the bot closes the socket (1000), the record ends as ${endReason}, control.${kind} before end`, async () => {
      const call = await dial('desk');
      const res = await control(gw.base, call.callSid, kind);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const closed = await call.waitFor('closed', { timeoutMs: 10_000 });
      assert.equal(closed.endedBy, 'bot');
      assert.equal(closed.code, 1000);
      const record = await recordWhen(gw.store, call.callSid, (r) => r.endReason !== null, 'the end of the call');
      assert.equal(record.endReason, endReason);
      const types = record.events.map((e) => e.type);
      assert.ok(types.indexOf(`control.${kind}`) >= 0 && types.indexOf(`control.${kind}`) < types.indexOf('end'), types.join(','));
      assert.equal((await control(gw.base, call.callSid, kind)).status, 404, 'the call is gone');
    });
  }

  it('takes our record id as well as the live call id', async () => {
    const call = await dial('desk');
    const record = await recordWhen(gw.store, call.callSid, () => true, 'the record');
    assert.notEqual(record.id, call.callSid);
    const res = await control(gw.base, record.id, 'hangup');
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.callId, call.callSid);
    await call.waitFor('closed', { timeoutMs: 10_000 });
  });
});

describe('POST /calls/:id/agent', () => {
  it("switches the call: the old agent's audio cleared, the new agent greets, the record's agent follows", async () => {
    const call = await dial('long');
    const res = await control(gw.base, call.callSid, 'agent', { agent: 'second' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await call.waitFor('clear', { timeoutMs: 10_000 });
    const record = await recordWhen(gw.store, call.callSid, (r) => r.agent === 'second' && agentTurns(r).length === 2, 'the new agent greeting');
    assert.equal(agentTurns(record)[1].text, 'This is the second desk.');
    assert.equal(record.transcript[0].interrupted, true, 'the old greeting kept to what was heard');
    assert.deepEqual(eventData(record, 'agent-switch'), { from: 'long', to: 'second' });
    assert.equal(eventData(record, 'control.agent')?.outcome, 'accepted');
    const sessions = (await (await fetch(`${gw.base}/voicebot/sessions`, { headers: { 'x-api-key': API_KEY } })).json()) as {
      sessions: { callId: string; agent: string }[];
    };
    assert.equal(sessions.sessions.find((s) => s.callId === call.callSid)?.agent, 'second');
    // Switching to the agent the call already has is refused.
    assert.equal((await control(gw.base, call.callSid, 'agent', { agent: 'second' })).status, 409);
  });

  it('400 naming agent for an unknown or malformed agent', async () => {
    const call = await dial('desk');
    for (const agent of ['nobody', 'bad name', '']) {
      const res = await control(gw.base, call.callSid, 'agent', { agent });
      assert.equal(res.status, 400, agent);
      assert.equal(res.body.field, 'agent');
    }
  });
});

describe('refusals', () => {
  it('404 for a call no node has live', async () => {
    for (const kind of ['hangup', 'transfer', 'say', 'agent']) {
      const body = kind === 'say' ? { text: 'Hi.' } : kind === 'agent' ? { agent: 'desk' } : undefined;
      const res = await control(gw.base, 'no-such-call', kind, body);
      assert.equal(res.status, 404, kind);
      assert.equal(res.body.error, 'not_found');
    }
  });

  it('400 for an unusable id, 401 without the admin key', async () => {
    const bad = await control(gw.base, 'a b', 'hangup');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'id');
    assert.equal((await control(gw.base, 'any-call', 'hangup', undefined, 'wrong-key')).status, 401);
  });

  it('every request is counted by action and outcome', async () => {
    const text = await (await fetch(`${gw.base}/metrics`)).text();
    for (const series of ['action="say",outcome="accepted"', 'action="hangup",outcome="not-found"', 'action="hangup",outcome="invalid"', 'action="say",outcome="rejected"']) {
      assert.match(text, new RegExp(`exovoice_control_requests_total\\{${series}\\} [1-9]`), series);
    }
  });
});
