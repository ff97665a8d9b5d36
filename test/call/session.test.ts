import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const agent = new ScriptedAgent('scripted', {
  onAudio: (_call, pcm) => {
    if (pcm[0] === 4242) throw new Error('agent bug');
  },
});
let gw: TestGateway;
before(async () => {
  gw = await startGateway({}, [agent]);
});
after(() => gw.close());

const tone = (n: number, v = 1000) => new Int16Array(n).fill(v);

async function sessions() {
  return (await (await fetch(`${gw.base}/voicebot/sessions`)).json()) as { count: number; sessions: Array<Record<string, unknown>> };
}

test('a call joins its webhook details, streams audio to the agent and is listed while live', async () => {
  await fetch(`${gw.base}/voicebot/connect?CallSid=join1&CallFrom=09876543210&CallTo=08047491899&Direction=incoming&CustomField=order-7`);
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=join1`);
  s.start({ callSid: 'join1', custom: { lang: 'hi' } });
  const call = await next;
  assert.equal(call.control.info.callId, 'join1');
  assert.equal(call.control.info.direction, 'incoming');
  assert.equal(call.control.info.customField, 'order-7');
  assert.equal(call.control.info.sampleRate, 8000);
  assert.deepEqual(call.control.info.customParameters, { lang: 'hi' });
  for (let i = 0; i < 5; i++) s.media(tone(160), i + 2);
  await until(() => call.samples === 800, 2000, 'audio at the agent');
  const list = await sessions();
  const mine = list.sessions.find((x) => x.callId === 'join1');
  assert.ok(mine, JSON.stringify(list));
  assert.equal(mine.state, 'streaming');
  assert.equal(mine.streamSid, 'stream1');
  assert.equal(mine.framesIn, 5);
  assert.equal(mine.agent, 'scripted');
  s.stop();
  const closed = await s.closed;
  assert.equal(closed.code, 1000);
  assert.deepEqual(call.ends, ['caller-hangup']);
  assert.equal((await sessions()).sessions.some((x) => x.callId === 'join1'), false, 'ended calls disappear at once');
});

test('agent audio goes out as canonical, aligned, paced frames with a mark that resolves on echo', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=play1`);
  s.start({ streamSid: 'sidPlay' });
  const call = await next;
  call.control.play(tone(8000 + 100)); // 1.0125 s at 8 kHz
  const marked = call.control.mark('reply-1');
  const mark = await s.waitFor((m) => m.event === 'mark', 3000);
  assert.equal(mark.mark?.name, 'reply-1');
  const media = s.received.filter((m) => m.event === 'media');
  assert.equal(media.length, 6, '5 full frames + the padded tail');
  for (const m of media) {
    assert.equal(m.stream_sid, 'sidPlay');
    assert.deepEqual(Object.keys(m).sort(), ['at', 'event', 'media', 'stream_sid']);
    assert.equal(Buffer.from(m.media!.payload, 'base64').length, 3200);
  }
  // Paced: 1.2 s of audio is not sent in one burst.
  const spread = media.at(-1)!.at - media[0].at;
  assert.ok(spread > 700, `frames spread over ${spread} ms`);
  s.send({ event: 'mark', sequence_number: '9', stream_sid: 'sidPlay', mark: { name: 'reply-1' } });
  const r = await marked;
  assert.equal(r.outcome, 'played');
  assert.equal(r.positionMs, 1200);
  s.stop();
  await s.closed;
});

test('clear stops the audio at once and reaches Exotel', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=clear1`);
  s.start();
  const call = await next;
  call.control.play(tone(8000 * 3));
  const marked = call.control.mark('long');
  await s.waitFor((m) => m.event === 'media');
  call.control.clear();
  await s.waitFor((m) => m.event === 'clear');
  assert.equal((await marked).outcome, 'cleared');
  const n = s.received.filter((m) => m.event === 'media').length;
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(s.received.filter((m) => m.event === 'media').length, n);
  s.close();
  await s.closed;
  await until(() => call.ends.length === 1, 2000, 'end');
  assert.deepEqual(call.ends, ['socket-closed']);
});

test('a stream that starts with media (no start) still works, at the URL sample rate', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=nostart&sample-rate=16000`);
  s.media(tone(320));
  const call = await next;
  assert.equal(call.control.info.sampleRate, 16000);
  await until(() => call.samples === 320, 2000, 'first frame delivered');
  call.control.play(tone(1600));
  call.control.flush();
  const m = await s.waitFor((x) => x.event === 'media');
  assert.equal(m.stream_sid, undefined, 'no invented stream id');
  s.close();
  await s.closed;
});

test('bad input is counted and tolerated; the call and its neighbour carry on', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=bad1`);
  s.start({ callSid: 'bad1' });
  const call = await next;
  const nextNeighbour = agent.nextCall();
  const neighbour = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=good1`);
  neighbour.start({ callSid: 'good1' });
  const good = await nextNeighbour;

  s.send('not json');
  s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  s.send('[1,2,3]');
  s.send({ event: 'media', media: { payload: '!!!notbase64!!!' } });
  s.send({ event: 'media', media: {} });
  s.send({ event: 'media', media: { payload: Buffer.from([1, 0, 2]).toString('base64') } });
  s.send({ event: 'teleport' });
  s.start({ callSid: 'bad1' }); // a second start
  s.send({ event: 'dtmf', dtmf: { digit: '7', duration: '100' } });
  neighbour.media(tone(160));
  await until(() => call.dtmf.length === 1, 2000, 'dtmf after the garbage');
  await until(() => good.samples === 160, 2000, 'neighbour audio');
  assert.equal(call.samples, 1, 'the odd payload kept its whole sample');
  const metrics = await (await fetch(`${gw.base}/metrics`)).text();
  for (const reason of ['not-json', 'binary-frame', 'not-object', 'invalid-base64', 'media-without-payload', 'odd-length-payload', 'unknown-event', 'duplicate-start']) {
    assert.match(metrics, new RegExp(`exovoice_bad_messages_total\\{reason="${reason}"\\} [1-9]`), reason);
  }
  assert.equal(call.ends.length, 0);
  s.stop();
  neighbour.stop();
  await Promise.all([s.closed, neighbour.closed]);
});

test('a message over 1 MB closes the socket with 1009', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=big1`);
  s.start();
  const call = await next;
  s.send({ event: 'media', media: { payload: Buffer.alloc(800_000).toString('base64') } });
  const closed = await s.closed;
  assert.equal(closed.code, 1009);
  await until(() => call.ends.length === 1, 2000, 'cleanup');
});

test('an agent that throws ends only its own call (1011)', async () => {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=crash1`);
  s.start();
  const call = await next;
  s.media(new Int16Array([4242, 0]));
  const closed = await s.closed;
  assert.equal(closed.code, 1011);
  assert.deepEqual(call.ends, ['agent-error']);
  assert.equal((await fetch(`${gw.base}/health`)).status, 200);
});

test('a flood loses its excess and then the socket, without touching other calls', async () => {
  const flood = await startGateway({}, [new ScriptedAgent()], { session: { floodRatePerSec: 100, floodBurst: 50 } });
  try {
    const s = await ExotelSocket.open(`${flood.wsBase}/voicebot/ws?call_id=flood1`);
    s.start();
    const msg = JSON.stringify({ event: 'connected' });
    for (let i = 0; i < 400; i++) s.ws.send(msg);
    const closed = await s.closed;
    assert.equal(closed.code, 1008);
    const metrics = await (await fetch(`${flood.base}/metrics`)).text();
    assert.match(metrics, /exovoice_bad_messages_total\{reason="flood"\} [1-9]/);
  } finally {
    await flood.close();
  }
});

test('a reconnect of the same call replaces the old socket', async () => {
  const s1 = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=dup1`);
  s1.start();
  await until(() => agent.calls.some((c) => c.control.info.callId === 'dup1'), 2000, 'first');
  const s2 = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=dup1`);
  const closed = await s1.closed;
  assert.equal(closed.code, 1000);
  assert.equal(closed.reason, 'replaced');
  const list = await sessions();
  assert.equal(list.sessions.filter((x) => x.callId === 'dup1').length, 1);
  s2.close();
  await s2.closed;
});
