import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

/** Reply r1 playing since 1000; the caller speaks `ms` from 1500 (barge-in at 1750). */
function interrupted(ms: number, config = {}): Line {
  const line = new Line(config);
  line.botSpeaks('r1');
  line.silence(500);
  line.speak(ms);
  assert.deepEqual(types(line.log), ['bargeIn']);
  return line;
}

describe('false interruption: speech too short to be words', () => {
  test('resumeReply at the endpoint instead of endOfTurn', () => {
    const line = interrupted(300); // voice 1500–1800
    line.silence(580);
    assert.deepEqual(types(line.log), ['bargeIn']);
    assert.deepEqual(line.silence(20), [
      { type: 'resumeReply', replyId: 'r1', atMs: 2400, interruptedAtMs: 1760, playedMs: 760, reason: 'shortSpeech' },
    ]);
    assert.equal(line.engine.state, 'thinking');
  });

  test('the resumed reply plays and finishes like any other', () => {
    const line = interrupted(300);
    line.silence(600);
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    assert.equal(line.engine.state, 'botSpeaking');
    line.silence(1000);
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    assert.equal(line.engine.state, 'listening');
  });

  test('a transcript makes even short speech a real interruption', () => {
    const line = interrupted(300);
    line.send({ type: 'transcript', text: 'no', final: true });
    line.silence(600);
    assert.deepEqual(types(line.log), ['bargeIn', 'endOfTurn']);
    assert.equal(only(line.log, 'endOfTurn')[0].interruptedReplyId, 'r1');
  });

  test('falseInterruptionMaxSpeechMs is configurable', () => {
    const line = interrupted(300, { falseInterruptionMaxSpeechMs: 250, falseInterruptionTranscriptWaitMs: null });
    line.silence(600);
    assert.deepEqual(types(line.log), ['bargeIn', 'endOfTurn']);
  });
});

describe('false interruption: no transcript within the wait', () => {
  test('long speech with no transcript resumes falseInterruptionTranscriptWaitMs after it stopped', () => {
    const line = interrupted(800); // voice 1500–2300
    line.silence(600);
    assert.deepEqual(types(line.log), ['bargeIn']); // endpoint passed, verdict pending
    assert.equal(line.engine.nextDeadline(), 2300 + 1500);
    assert.deepEqual(line.wait(899), []);
    assert.deepEqual(line.wait(1), [
      { type: 'resumeReply', replyId: 'r1', atMs: 3800, interruptedAtMs: 1760, playedMs: 760, reason: 'noTranscript' },
    ]);
  });

  test('a transcript during the wait ends the turn right then', () => {
    const line = interrupted(800);
    line.silence(900); // t = 3200
    const acts = line.send({ type: 'transcript', text: 'I wanted to ask', final: true });
    assert.deepEqual(acts, [
      { type: 'endOfTurn', turnStartMs: 1500, turnEndMs: 2300, atMs: 3200, reason: 'finalTranscript', continuation: false, interruptedReplyId: 'r1' },
    ]);
  });

  test('an interim transcript during the speech ends the turn at the normal endpoint', () => {
    const line = interrupted(800);
    line.send({ type: 'transcript', text: 'wait', final: false });
    line.silence(600);
    assert.deepEqual(only(line.log, 'endOfTurn').map((a) => a.atMs), [2900]);
  });

  test('the caller speaking again during the wait keeps the turn open', () => {
    const line = interrupted(800);
    line.silence(1000); // t = 3300
    line.speak(400);
    line.silence(800); // past the old deadline 3800
    assert.deepEqual(types(line.log), ['bargeIn']);
    assert.equal(line.engine.state, 'userSpeaking');
    assert.equal(line.engine.nextDeadline(), 3700 + 1500);
  });

  test('null disables the wait: long speech is taken as a real turn', () => {
    const line = interrupted(800, { falseInterruptionTranscriptWaitMs: null });
    line.silence(600);
    assert.deepEqual(types(line.log), ['bargeIn', 'endOfTurn']);
  });
});
