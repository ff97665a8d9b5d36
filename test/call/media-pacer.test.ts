import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaPacer } from '../../src/call/media-pacer.js';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import { createMessageEncoder } from '../../src/exotel/outgoing-messages.js';

interface Sent {
  at: number;
  msg: { event: string; stream_sid?: string; media?: { payload: string }; mark?: { name: string } };
}

function setup(sampleRate = 8000, leadMs = 100) {
  const clock = new ManualScheduler();
  const sent: Sent[] = [];
  const engine = new MediaPacer({
    sampleRate,
    leadMs,
    markTimeoutMs: 1000,
    scheduler: clock,
    encoder: createMessageEncoder('sid1'),
    send: (text) => sent.push({ at: clock.now(), msg: JSON.parse(text) }),
  });
  const media = () => sent.filter((s) => s.msg.event === 'media');
  const bytes = (s: Sent) => Buffer.from(s.msg.media!.payload, 'base64');
  return { clock, sent, engine, media, bytes };
}

const pcmOf = (ms: number, rate: number, value = 1000) => {
  const a = new Int16Array((rate * ms) / 1000);
  a.fill(value);
  return a;
};

test('frame size is 3200 B at 8 and 16 kHz and 4800 B at 24 kHz', () => {
  assert.equal(setup(8000).engine.frameBytes, 3200);
  assert.equal(setup(16000).engine.frameBytes, 3200);
  assert.equal(setup(24000).engine.frameBytes, 4800);
  assert.equal(setup(8000).engine.frameMs, 200);
  assert.equal(setup(24000).engine.frameMs, 100);
});

test('a long utterance is sent in full frames at real-time pace, never a burst', () => {
  const { clock, engine, media } = setup(8000, 100);
  engine.play(pcmOf(2000, 8000));
  engine.flush();
  assert.equal(media().length, 1, 'only the first frame leaves immediately');
  for (let t = 0; t < 3000; t += 10) clock.advance(10);
  const frames = media();
  assert.equal(frames.length, 10);
  // Each later frame leaves when 100 ms of audio is still buffered: every 200 ms after the first 100 ms.
  assert.deepEqual(
    frames.map((f) => f.at),
    [0, 100, 300, 500, 700, 900, 1100, 1300, 1500, 1700],
  );
  for (const f of frames) assert.equal(Buffer.from(f.msg.media!.payload, 'base64').length, 3200);
  assert.equal(engine.stats.underruns, 0);
});

test('the last frame of an utterance is zero-padded to a whole frame', () => {
  const { clock, engine, media, bytes } = setup(16000);
  engine.play(pcmOf(130, 16000, 7));
  engine.flush();
  clock.advance(500);
  const frames = media();
  assert.equal(frames.length, 2);
  const tail = new Int16Array(bytes(frames[1]).buffer.slice(0));
  assert.equal(tail.length, 1600);
  assert.ok(tail.subarray(0, 480).every((v) => v === 7));
  assert.ok(tail.subarray(480).every((v) => v === 0));
});

test('odd and unaligned chunks are reassembled into aligned frames without losing samples', () => {
  const { clock, engine, media, bytes } = setup(8000);
  let n = 0;
  for (const size of [1, 333, 999, 2, 4001, 77]) {
    const a = new Int16Array(size);
    for (let i = 0; i < size; i++) a[i] = ++n;
    engine.play(a);
  }
  engine.flush();
  clock.advance(5000);
  const all = Buffer.concat(media().map(bytes));
  assert.equal(all.length % 3200, 0);
  const samples = new Int16Array(all.buffer, all.byteOffset, all.length / 2);
  for (let i = 0; i < n; i++) assert.equal(samples[i], i + 1);
  assert.ok(samples.subarray(n).every((v) => v === 0));
});

test('a mark is sent after its audio and resolves on echo with its playout position', async () => {
  const { clock, engine, sent } = setup(8000);
  engine.play(pcmOf(400, 8000));
  const p = engine.mark('m1');
  clock.advance(200);
  const order = sent.map((s) => s.msg.event);
  assert.deepEqual(order, ['media', 'media', 'mark']);
  assert.equal(sent[2].msg.mark!.name, 'm1');
  assert.equal(sent[2].msg.stream_sid, 'sid1');
  assert.equal(engine.onMarkEcho('m1'), true);
  const r = await p;
  assert.deepEqual(r, { name: 'm1', outcome: 'played', positionMs: 400 });
  assert.equal(engine.onMarkEcho('m1'), false, 'a repeated echo is ignored');
});

test('an echo also settles earlier marks that Exotel skipped', async () => {
  const { clock, engine } = setup(8000);
  engine.play(pcmOf(200, 8000));
  const a = engine.mark('a');
  engine.play(pcmOf(200, 8000));
  const b = engine.mark('b');
  clock.advance(400);
  engine.onMarkEcho('b');
  assert.equal((await a).outcome, 'played');
  assert.equal((await b).outcome, 'played');
});

test('a lost mark times out after its audio should have played plus the time-out', async () => {
  const { clock, engine } = setup(8000);
  engine.play(pcmOf(400, 8000));
  const p = engine.mark('lost');
  let settled = false;
  void p.then(() => (settled = true));
  clock.advance(1300); // audio ends at 400 ms, time-out 1000 ms after that
  await Promise.resolve();
  assert.equal(settled, false);
  clock.advance(200);
  const r = await p;
  assert.equal(r.outcome, 'timeout');
  assert.equal(engine.stats.marksTimedOut, 1);
});

test('clear drops queued audio at once, cancels marks and takes unplayed audio off the ledger', async () => {
  const { clock, engine, sent, media } = setup(8000);
  engine.play(pcmOf(3000, 8000));
  const p = engine.mark('end');
  clock.advance(250); // frames sent at 0 and 100 ms; 250 ms played
  assert.equal(media().length, 2);
  engine.clear();
  assert.equal(sent.at(-1)!.msg.event, 'clear');
  const r = await p;
  assert.equal(r.outcome, 'cleared');
  assert.equal(Math.round(engine.playedMs()), 250);
  clock.advance(5000);
  assert.equal(media().length, 2, 'nothing more is sent after clear');
  assert.equal(engine.idle, true);
  // New audio after clear starts at once.
  engine.play(pcmOf(200, 8000));
  assert.equal(media().length, 3);
});

test('a producer that stalls mid-frame gets its tail padded before the caller hears a gap', () => {
  const { clock, engine, media } = setup(8000);
  engine.play(pcmOf(300, 8000));
  assert.equal(media().length, 1);
  clock.advance(199);
  assert.equal(media().length, 1);
  clock.advance(2);
  assert.equal(media().length, 2);
});

test('underruns are counted when a continuing utterance arrives late', () => {
  const { clock, engine } = setup(8000);
  engine.play(pcmOf(200, 8000));
  clock.advance(400); // buffer ran dry at 200 ms, the rest of the utterance comes 200 ms late
  engine.play(pcmOf(200, 8000));
  engine.flush();
  assert.equal(engine.stats.underruns, 1);
  clock.advance(400);
  engine.play(pcmOf(200, 8000)); // a new utterance after a flushed one is not an underrun
  assert.equal(engine.stats.underruns, 1);
});

test('close resolves pending marks as closed and stops sending', async () => {
  const { clock, engine, media } = setup(8000);
  engine.play(pcmOf(1000, 8000));
  const p = engine.mark('x');
  engine.close();
  assert.equal((await p).outcome, 'closed');
  const n = media().length;
  clock.advance(2000);
  assert.equal(media().length, n);
  assert.equal(clock.pendingTimers, 0);
});

test('rejects illegal frame sizes', () => {
  const clock = new ManualScheduler();
  const base = { sampleRate: 8000, scheduler: clock, encoder: createMessageEncoder(undefined), send: () => {} };
  assert.throws(() => new MediaPacer({ ...base, frameBytes: 4096 }), /multiple of 320/);
  assert.throws(() => new MediaPacer({ ...base, frameBytes: 1600 }), /at least 3200/);
  assert.throws(() => new MediaPacer({ ...base, sampleRate: 24000, frameBytes: 3200 }), /100 ms/);
});
