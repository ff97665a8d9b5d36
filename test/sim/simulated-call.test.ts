import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedCall } from '../../src/sim/index.js';
import { countMarked, frames, marked, markedSamples, startBot, type BotConn } from './bot-server.js';

const HEX32 = /^[0-9a-f]{32}$/;
const GREETING = 1000; // sample level of the bot's greeting
const CALLER = -3000; // sample level of the caller's speech

/** Greets with 1 s in 3200-byte frames paced at real time plus a mark, then echoes the caller in 3200-byte frames. */
function goodBot(conn: BotConn): void {
  let echoing = false;
  let pending = Buffer.alloc(0);
  conn.on('message', (msg) => {
    if (msg.event === 'mark' && msg.mark.name === 'greeting-end') echoing = true;
    if (msg.event !== 'media' || !echoing) return;
    pending = Buffer.concat([pending, Buffer.from(msg.media.payload, 'base64')]);
    while (pending.length >= 3200) {
      conn.sendMedia(pending.subarray(0, 3200));
      pending = pending.subarray(3200);
    }
  });
  void conn.sendPaced(frames(marked(8000, GREETING), 3200), 200).then(() => conn.sendMark('greeting-end'));
}

test('a well-behaved bot gets a clean report; wire messages have the canonical shape', async (t) => {
  const bot = await startBot(goodBot);
  t.after(() => bot.close());
  const call = new SimulatedCall({ url: bot.wsUrl('/media?session_type=support&agent_id=42') });
  await call.start();
  const greetingEnd = await call.waitFor('markEchoed', { predicate: (m) => m.name === 'greeting-end' });
  await call.sendAudio(markedSamples(4800, CALLER));
  await call.waitFor('botMedia', { predicate: (f) => f.atMs > greetingEnd.receivedAtMs && f.index >= 8 });
  const report = await call.hangup();
  const conn = bot.connections[0];
  await conn.closed;

  assert.deepEqual(report.violations, []);
  assert.equal(report.endedBy, 'caller');
  assert.equal(report.closeCode, 1000);
  assert.ok(report.firstBotAudioMs !== null && report.firstBotAudioMs >= 0);
  assert.deepEqual(Object.keys(report.botMedia.sizeHistogram), ['3200']);
  assert.equal(report.marks.sent, 1);
  assert.equal(report.marks.echoed, 1);
  assert.equal(report.pacing.bursts.length, 0);

  // The greeting was played in full before its mark was echoed.
  const echoAt = (greetingEnd.echoedAtPlayoutMs as number) * 8;
  assert.equal(countMarked(report.playedAudio, GREETING, 0, echoAt), 8000);
  // The caller's speech came back through the echo and was played.
  assert.ok(countMarked(report.playedAudio, CALLER) > 0);

  // Wire shape seen by the bot.
  const [connected, start, ...rest] = conn.received;
  assert.deepEqual(connected, { event: 'connected' });
  assert.equal(start.event, 'start');
  assert.equal(start.sequence_number, '1');
  assert.match(start.stream_sid, HEX32);
  assert.equal(start.start.stream_sid, start.stream_sid);
  assert.match(start.start.call_sid, HEX32);
  assert.equal(start.start.call_sid, report.callSid);
  assert.deepEqual(start.start.custom_parameters, { session_type: 'support', agent_id: '42' });
  assert.equal(start.start.media_format.sample_rate, '8000');
  const media = rest.filter((m) => m.event === 'media');
  assert.ok(media.length >= 3);
  media.forEach((m, i) => {
    assert.equal(m.media.chunk, String(i + 1));
    assert.equal(m.media.timestamp, String((i + 1) * 100));
    assert.equal(Buffer.from(m.media.payload, 'base64').length, 1600);
  });
  const seqs = rest.map((m) => Number(m.sequence_number));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 2), 'sequence numbers are contiguous across event types');
  const echo = rest.find((m) => m.event === 'mark');
  assert.deepEqual(Object.keys(echo).sort(), ['event', 'mark', 'sequence_number', 'stream_sid']);
  assert.deepEqual(echo.mark, { name: 'greeting-end' });
  const stop = rest[rest.length - 1];
  assert.deepEqual(stop.stop, { call_sid: report.callSid, account_sid: report.accountSid, reason: 'callended' });
  assert.equal((await conn.closed).code, 1000);
});

test('a mark is echoed only after the audio before it has played; with an empty queue at once', async (t) => {
  const bot = await startBot((conn) => {
    for (const f of frames(marked(8000, GREETING), 3200)) conn.sendMedia(f); // 1 s in one go
    conn.sendMark('m1');
    void conn.next((m) => m.event === 'mark' && m.mark.name === 'm1').then(() => conn.sendMark('m2'));
  });
  t.after(() => bot.close());
  const call = new SimulatedCall({ url: bot.wsUrl(), burstThresholdMs: 5000 });
  await call.start();
  const m2 = await call.waitFor('markEchoed', { predicate: (m) => m.name === 'm2' });
  const report = await call.hangup();
  const m1 = report.marks.records.find((m) => m.name === 'm1');
  assert.ok(m1 && m1.status === 'echoed');
  assert.ok(m1.queuedAheadMs > 0);
  const echoAt = (m1.echoedAtPlayoutMs as number) * 8;
  assert.equal(countMarked(report.playedAudio, GREETING, 0, echoAt), 8000, 'all 1 s played before the echo');
  assert.ok((m1.echoedAtPlayoutMs as number) - m1.receivedAtPlayoutMs >= m1.queuedAheadMs);
  assert.equal(m2.queuedAheadMs, 0);
  assert.equal(m2.echoedAtPlayoutMs, m2.receivedAtPlayoutMs, 'idle-queue mark echoes without waiting for a tick');
  const echoes = bot.connections[0].received.filter((m) => m.event === 'mark').map((m) => m.mark.name);
  assert.deepEqual(echoes, ['m1', 'm2']);
});

test('clear drops the unplayed audio and the marks queued behind it', async (t) => {
  const bot = await startBot((conn) => {
    for (const f of frames(marked(16000, GREETING), 3200)) conn.sendMedia(f); // 2 s
    conn.sendMark('after-greeting');
    void conn.next((m) => m.event === 'media' && m.media.chunk === '3').then(() => {
      conn.sendClear();
      conn.sendMark('post-clear');
    });
  });
  t.after(() => bot.close());
  const call = new SimulatedCall({ url: bot.wsUrl(), burstThresholdMs: 5000 });
  await call.start();
  const clear = await call.waitFor('clear');
  await call.waitFor('markEchoed', { predicate: (m) => m.name === 'post-clear' });
  const report = await call.hangup();
  assert.equal(report.clears.length, 1);
  assert.ok(clear.droppedMs > 0);
  assert.deepEqual(clear.droppedMarks, ['after-greeting']);
  assert.equal(report.marks.dropped, 1);
  assert.equal(countMarked(report.playedAudio, GREETING), 16000 - clear.droppedMs * 8, 'exactly the cleared audio went unheard');
  const echoes = bot.connections[0].received.filter((m) => m.event === 'mark').map((m) => m.mark.name);
  assert.deepEqual(echoes, ['post-clear']);
});

test('dtmf at a given moment and on demand; caller audio in 20 ms frames', async (t) => {
  const bot = await startBot(() => undefined);
  t.after(() => bot.close());
  const call = new SimulatedCall({ url: bot.wsUrl('/media?sample-rate=16000'), callerFrameMs: 20 });
  call.scheduleDtmf('5', 100, 250);
  await call.start();
  const speech = Int16Array.from({ length: 3000 }, (_, i) => (i % 200) - 100 || 1);
  await call.sendAudio(speech);
  await call.waitFor('dtmfSent', { predicate: (d) => d.digit === '5' });
  call.sendDtmf('#');
  assert.throws(() => call.sendDtmf('A'), RangeError);
  const report = await call.hangup();
  const received = bot.connections[0].received;
  const dtmf = received.filter((m) => m.event === 'dtmf').map((m) => m.dtmf);
  assert.deepEqual(dtmf, [
    { digit: '5', duration: '250' },
    { digit: '#', duration: '100' },
  ]);
  assert.equal(received[1].start.media_format.sample_rate, '16000');
  const pcm = Buffer.concat(received.filter((m) => m.event === 'media').map((m) => Buffer.from(m.media.payload, 'base64')));
  assert.ok(received.filter((m) => m.event === 'media').every((m) => Buffer.from(m.media.payload, 'base64').length === 640));
  const heard = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  assert.deepEqual(Array.from(heard.subarray(0, 3000)), Array.from(speech), 'caller audio arrives first, sample-exact');
  assert.ok(heard.subarray(3000).every((s) => s === 0), 'then silence keeps flowing');
  assert.equal(report.callerMedia.audioMs, 187.5);
  assert.equal(report.dtmfSent.length, 2);
});
