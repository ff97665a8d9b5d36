import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

describe('barge-in while the bot speaks', () => {
  test('speech of bargeInMinSpeechMs interrupts; shorter speech does not', () => {
    const line = new Line(); // t = 1000
    line.botSpeaks('r1');
    line.silence(200);
    line.speak(240); // below 250
    line.silence(400);
    assert.deepEqual(line.log, []);
    assert.equal(line.engine.state, 'botSpeaking');
    line.speak(240); // onset 1840
    const acts = line.speak(20);
    assert.deepEqual(acts, [{ type: 'bargeIn', replyId: 'r1', atMs: 2100, cause: 'speech', speechOnsetMs: 1840, playedMs: 1100 }]);
    assert.equal(line.engine.state, 'userSpeaking');
  });

  test('the interrupting speech is the start of the caller turn, which names the cut reply', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.silence(100);
    line.speak(600); // onset 1100
    line.send({ type: 'transcript', text: 'wait, no', final: false });
    line.silence(600);
    assert.deepEqual(only(line.log, 'endOfTurn'), [
      { type: 'endOfTurn', turnStartMs: 1100, turnEndMs: 1700, atMs: 2300, reason: 'silence', continuation: false, interruptedReplyId: 'r1' },
    ]);
  });

  test('the barge-in threshold is higher than the normal speech threshold', () => {
    const quiet = new Line();
    quiet.speak(200);
    assert.equal(quiet.engine.state, 'userSpeaking');

    const speaking = new Line();
    speaking.botSpeaks('r1');
    speaking.speak(200);
    assert.equal(speaking.engine.state, 'botSpeaking');
    assert.deepEqual(speaking.log, []);
  });

  test('bargeInMinSpeechMs is configurable', () => {
    const line = new Line({ bargeInMinSpeechMs: 600 });
    line.botSpeaks('r1');
    assert.deepEqual(line.speak(580), []);
    assert.deepEqual(types(line.speak(20)), ['bargeIn']);
  });

  test('frames quieter than bargeInMinLevelDbfs do not interrupt (echo), but still make turns otherwise', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.speak(1000, -55);
    assert.deepEqual(line.log, []);
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    line.speak(200, -55);
    assert.equal(line.engine.state, 'userSpeaking');

    const off = new Line({ bargeInMinLevelDbfs: null });
    off.botSpeaks('r1');
    assert.deepEqual(types(off.speak(300, -55)), ['bargeIn']);
  });

  test('late lifecycle events for the cut reply are ignored', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.speak(300);
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    assert.equal(line.engine.state, 'userSpeaking');
  });

  test('playout finishing normally returns to listening', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.silence(500);
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    assert.equal(line.engine.state, 'listening');
  });

  test('botSpeechStarted.atMs (playout start) is what playedMs counts from', () => {
    const line = new Line();
    line.send({ type: 'replyQueued', replyId: 'r1' });
    line.t = 1200;
    line.send({ type: 'botSpeechStarted', replyId: 'r1', atMs: 1100 });
    line.speak(260);
    assert.equal(only(line.log, 'bargeIn')[0].playedMs, 1460 - 1100); // first frame at or after onset + 250
  });
});

describe('barge-in over an open caller turn', () => {
  test('the bot starting over a talking caller is interrupted and the turn keeps its start', () => {
    const line = new Line();
    line.speak(400); // turn open since 1000
    // e.g. a filler the host played anyway: the caller already has 400 ms of voice, so at once
    assert.deepEqual(types(line.send({ type: 'botSpeechStarted', replyId: 'r1' })), ['bargeIn']);
    line.speak(100);
    line.send({ type: 'transcript', text: 'as I was saying', final: false });
    line.silence(600);
    assert.deepEqual(only(line.log, 'endOfTurn').map((a) => [a.turnStartMs, a.interruptedReplyId]), [[1000, 'r1']]);
  });

  test('a reply queued while the caller talks is cancelled like any reply while thinking', () => {
    const line = new Line();
    line.speak(400);
    assert.deepEqual(line.send({ type: 'replyQueued', replyId: 'r1' }), [{ type: 'cancelReply', replyId: 'r1', atMs: 1400, reason: 'callerContinued' }]);
    assert.equal(line.engine.state, 'userSpeaking');
  });
});

describe('DTMF', () => {
  test('a digit is always passed on as a dtmf action', () => {
    const line = new Line();
    assert.deepEqual(line.send({ type: 'dtmf', digit: '7' }), [{ type: 'dtmf', digit: '7', atMs: 1000 }]);
    assert.equal(line.engine.state, 'listening');
  });

  test('a digit while the bot speaks interrupts it first, and is never resumed', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.silence(400);
    const acts = line.send({ type: 'dtmf', digit: '5' });
    assert.deepEqual(acts, [
      { type: 'bargeIn', replyId: 'r1', atMs: 1400, cause: 'dtmf', speechOnsetMs: 1400, playedMs: 400 },
      { type: 'dtmf', digit: '5', atMs: 1400 },
    ]);
    assert.equal(line.engine.state, 'listening');
    line.silence(5000);
    assert.deepEqual(types(line.log), ['bargeIn', 'dtmf']);
  });

  test('dtmfBargeIn: false leaves the bot speaking', () => {
    const line = new Line({ dtmfBargeIn: false });
    line.botSpeaks('r1');
    assert.deepEqual(types(line.send({ type: 'dtmf', digit: '#' })), ['dtmf']);
    assert.equal(line.engine.state, 'botSpeaking');
  });
});
