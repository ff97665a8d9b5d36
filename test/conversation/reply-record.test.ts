// The reply record: what the caller heard of a cut reply goes to the transcript and the brain's
// context, and a reply's latency stages go to the timeline once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallControl, MarkResult } from '../../src/conversation/call-contract.js';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import { Playback } from '../../src/conversation/playback.js';
import { ReplyRecord, newReply } from '../../src/conversation/reply.js';

const RATE = 8000;
const SECOND = new Int16Array(RATE); // each sentence plays for one second

/** The part of a call the record writes to, remembering what it was told. */
function fakeCall() {
  const events: [string, Record<string, unknown> | undefined][] = [];
  const updates: [number, Record<string, unknown>][] = [];
  const observed: string[] = [];
  let played = 0;
  const call = {
    record: (type: string, data?: Record<string, unknown>) => events.push([type, data]),
    updateTurn: (seq: number, patch: Record<string, unknown>) => updates.push([seq, patch]),
    observeLatency: (stage: string) => observed.push(stage),
    playedMs: () => played,
    play: () => {},
    mark: () => new Promise<MarkResult>(() => {}), // never echoed: the ledger estimates
  };
  return { call: call as unknown as CallControl, events, updates, observed, setPlayed: (ms: number) => (played = ms) };
}

function playingReply(call: CallControl) {
  const reply = newReply('r2', 0, false);
  const playback = new Playback({
    port: call,
    name: reply.id,
    sentences: ['The first sentence.', 'The second sentence.', 'The third sentence.'],
    audio: () => SECOND,
    frameSamples: 160,
    frameMs: 20,
    trustMarks: () => false,
    hooks: { onPlayStarted: () => {}, onFinished: () => {}, onError: () => {} },
  });
  reply.playback = playback;
  reply.turnSeq = 7;
  reply.history = { role: 'agent', text: 'The first sentence. The second sentence. The third sentence.' };
  playback.start(); // cached audio: all three are queued at once
  return reply;
}

test('reply record: a cut reply keeps only the sentences heard, in the transcript and the context', () => {
  const { call, updates, setPlayed } = fakeCall();
  const record = new ReplyRecord(call, new ManualScheduler());
  const reply = playingReply(call);
  setPlayed(1500); // halfway through the second sentence
  record.recordCut(reply, reply.playback!.cut(1500));
  assert.equal(reply.heard, 1);
  assert.deepEqual(reply.history, { role: 'agent', text: 'The first sentence.', interrupted: true });
  assert.equal(updates.length, 1);
  assert.equal(updates[0][0], 7);
  assert.deepEqual({ ...updates[0][1], endedAt: 0 }, { interrupted: true, heardText: 'The first sentence.', endedAt: 0 });
});

test('reply record: a reply has played out once the playout passed its last sentence', () => {
  const { call, setPlayed } = fakeCall();
  const record = new ReplyRecord(call, new ManualScheduler());
  const reply = playingReply(call);
  setPlayed(2999);
  assert.equal(record.playedOut(reply), false);
  setPlayed(3000);
  assert.equal(record.playedOut(reply), true);
});

test('reply record: latency stages of a reply to speech are observed once and written in one event', () => {
  const { call, events, observed } = fakeCall();
  const clock = new ManualScheduler();
  const record = new ReplyRecord(call, clock);
  const reply = newReply('r3', 0, false);
  reply.answersSpeech = true;
  clock.advance(120);
  record.latency(reply, 'turn.first-frame', {});
  clock.advance(100);
  record.latency(reply, 'turn.first-frame', {}); // a resumed run: not a new stage
  record.recordLatency(reply);
  record.recordLatency(reply);
  assert.deepEqual(observed, ['first-frame']);
  assert.deepEqual(events.filter(([type]) => type === 'turn.latency'), [['turn.latency', { replyId: 'r3', 'first-frame': 120 }]]);

  const greeting = newReply('r1', 0, true);
  record.latency(greeting, 'turn.first-frame', {});
  record.recordLatency(greeting);
  assert.deepEqual(observed, ['first-frame'], 'a reply to no speech is not a latency sample');
});
