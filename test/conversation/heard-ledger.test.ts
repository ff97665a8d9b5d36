import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import { MediaPacer } from '../../src/call/media-pacer.js';
import { createMessageEncoder } from '../../src/exotel/outgoing-messages.js';
import { HeardLedger } from '../../src/conversation/heard-ledger.js';
import { Playback, type PlaybackHooks } from '../../src/conversation/playback.js';

const RATE = 8000;
const FRAME = 1600; // samples: 200 ms, the media pacer's frame at 8 kHz

test('echoed marks decide what was heard when marks come back', () => {
  const ledger = new HeardLedger(['One.', 'Two.', 'Three.'], FRAME, 200);
  ledger.queued(0, 8000, 0);
  ledger.queued(1, 8000, 0);
  ledger.queued(2, 8000, 0);
  assert.deepEqual(
    ledger.sentences.map((s) => s.endMs),
    [1000, 2000, 3000],
  );
  ledger.echoed(0);
  assert.equal(ledger.heardCount(1900, true), 1, 'the position says two, but only one mark came back');
  assert.equal(ledger.text(ledger.heardCount(1900, true)), 'One.');
  ledger.echoed(1);
  assert.equal(ledger.heardCount(1900, true), 2);
});

test('without marks, heard sentences are estimated from the playout position, tails padded to whole frames', () => {
  const ledger = new HeardLedger(['A.', 'B.', 'C.'], FRAME, 200);
  ledger.queued(0, 1700, 5000); // 212.5 ms of audio → 2 frames = 400 ms
  ledger.queued(1, 1600, 5000); // queued behind it: ends at 5600
  ledger.queued(2, 800, 7000); // playout had run dry: starts at 7000, ends 7200
  assert.deepEqual(
    ledger.sentences.map((s) => s.endMs),
    [5400, 5600, 7200],
  );
  assert.equal(ledger.heardCount(5399, false), 0);
  assert.equal(ledger.heardCount(5600, false), 2);
  assert.equal(ledger.text(2), 'A. B.');
  assert.equal(ledger.heardCount(9999, false), 3);
});

/** A real media pacer on a manual clock, standing in for the call; marks are echoed by the test. */
function harness() {
  const scheduler = new ManualScheduler();
  const sent: string[] = [];
  const engine = new MediaPacer({ sampleRate: RATE, encoder: createMessageEncoder('sid'), send: (t) => sent.push(t), scheduler, markTimeoutMs: 3000 });
  const log: string[] = [];
  const hooks: PlaybackHooks = {
    onFirstAudio: (cached) => log.push(`first-audio ${cached}`),
    onPlayStarted: () => log.push('started'),
    onMarkEcho: (i) => log.push(`echo ${i}`),
    onMarkTimeout: (i) => log.push(`timeout ${i}`),
    onFinished: () => log.push('finished'),
    onError: (e) => log.push(`error ${(e as Error).message}`),
  };
  const marks = () => sent.map((t) => JSON.parse(t)).filter((m) => m.event === 'mark').map((m) => m.mark.name as string);
  return { scheduler, engine, sent, log, hooks, marks };
}

const tone = (ms: number) => new Int16Array((RATE * ms) / 1000).fill(1000);

test('a reply plays sentence by sentence with a mark after each; a cut reports the heard sentences and resumes after them', async () => {
  const h = harness();
  const audio = new Map([
    ['Hello there.', tone(1000)],
    ['How can I help?', tone(1000)],
  ]);
  const playback = new Playback({
    port: h.engine,
    name: 'r1',
    sentences: ['Hello there.', 'How can I help?'],
    audio: (s) => audio.get(s)!,
    frameSamples: FRAME,
    frameMs: 200,
    trustMarks: () => true,
    hooks: h.hooks,
  });
  playback.start();
  assert.deepEqual(h.log, ['first-audio true', 'started'], 'cached audio plays synchronously');
  h.scheduler.advance(900);
  assert.deepEqual(h.marks(), ['r1.0'], 'each mark follows its sentence, paced with the audio');
  h.scheduler.advance(900);
  assert.deepEqual(h.marks(), ['r1.0', 'r1.1']);
  h.engine.onMarkEcho('r1.0');
  await Promise.resolve();
  assert.deepEqual(h.log.slice(2), ['echo 0']);

  const played = h.engine.playedMs();
  assert.ok(played > 1500, 'by position the second sentence is nearly over');
  h.engine.clear();
  assert.equal(playback.cut(played), 1);
  await new Promise((r) => setImmediate(r));
  assert.ok(!h.log.includes('finished'), 'cleared marks do not finish the reply');

  h.sent.length = 0;
  playback.start(1);
  h.scheduler.advance(1200);
  assert.deepEqual(h.marks(), ['r1.1'], 'resumed from the unheard sentence');
  h.engine.onMarkEcho('r1.1');
  await Promise.resolve();
  assert.deepEqual(h.log.slice(-2), ['echo 1', 'finished']);
  assert.ok(playback.finished);
});

test('synthesized sentences: the next one is prefetched while the first plays; a failure is reported once', async () => {
  const h = harness();
  const requested: string[] = [];
  const playback = new Playback({
    port: h.engine,
    name: 'r2',
    sentences: ['First.', 'Second.', 'Third.'],
    audio: (s) => {
      requested.push(s);
      return s === 'Third.' ? Promise.reject(new Error('engine died')) : Promise.resolve(tone(400));
    },
    frameSamples: FRAME,
    frameMs: 200,
    trustMarks: () => true,
    hooks: h.hooks,
  });
  playback.start();
  assert.deepEqual(requested, ['First.', 'Second.'], 'the second sentence synthesizes while the first is awaited');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(requested, ['First.', 'Second.', 'Third.']);
  assert.deepEqual(
    playback.ledger.sentences.map((x) => x.endMs),
    [400, 800, null],
    'two sentences queued back to back',
  );
  assert.deepEqual(h.log, ['first-audio false', 'started', 'error engine died']);
});

test('marks that never come back time out, and the reply still finishes', async () => {
  const h = harness();
  const playback = new Playback({
    port: h.engine,
    name: 'r3',
    sentences: ['Only.'],
    audio: () => tone(400),
    frameSamples: FRAME,
    frameMs: 200,
    trustMarks: () => false,
    hooks: h.hooks,
  });
  playback.start();
  h.scheduler.advance(400 + 3000);
  await Promise.resolve();
  assert.deepEqual(h.log, ['first-audio true', 'started', 'timeout 0', 'finished']);
  assert.equal(playback.cut(h.engine.playedMs()), 1, 'estimated from the playout position');
});

test('streamed sentences: added as they come, lengthened piece by piece, later from the position if playout ran dry', () => {
  const ledger = new HeardLedger([], FRAME, 200);
  assert.equal(ledger.add('One.'), 0);
  ledger.grew(0, 1600, 1000); // starts at once: ends at 1200
  ledger.grew(0, 1600, 1100); // still queued behind: 2 frames from the start
  assert.equal(ledger.sentences[0].endMs, 1400);
  ledger.grew(0, 800, 1600); // playout had run dry at 1400: this piece plays from 1600
  assert.equal(ledger.sentences[0].endMs, 1800);
  assert.equal(ledger.add('Two.'), 1);
  ledger.grew(1, 1600, 1650); // queued behind the first sentence
  assert.equal(ledger.sentences[1].endMs, 2000);
  assert.equal(ledger.heardCount(1900, false), 1);
  assert.equal(ledger.text(), 'One. Two.');
  ledger.restart();
  ledger.grew(1, 1600, 5000); // replayed: placed anew
  assert.equal(ledger.sentences[1].endMs, 5200);
});
