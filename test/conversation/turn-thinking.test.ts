import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

/** A line where the caller spoke 1000–1500 and the turn ended at 2100; reply r1 is being generated. */
function afterTurn(config = {}): Line {
  const line = new Line(config);
  line.speak(500);
  line.silence(600);
  assert.deepEqual(types(line.log), ['endOfTurn']);
  line.send({ type: 'replyQueued', replyId: 'r1' });
  assert.equal(line.engine.state, 'thinking');
  return line;
}

describe('caller speech while the bot is thinking', () => {
  test('speech shorter than thinkingInterruptMinSpeechMs leaves the reply alone', () => {
    const line = afterTurn();
    line.speak(380);
    line.silence(1000);
    assert.equal(line.engine.state, 'thinking');
    assert.deepEqual(types(line.log), ['endOfTurn']);
  });

  test('longer speech cancels the reply and continues the previous turn', () => {
    const line = afterTurn();
    line.silence(100); // t = 2200
    line.speak(380);
    assert.deepEqual(line.speak(20), [{ type: 'cancelReply', replyId: 'r1', atMs: 2600, reason: 'callerContinued' }]);
    assert.equal(line.engine.state, 'userSpeaking');
    line.speak(300);
    line.silence(600);
    assert.deepEqual(only(line.log, 'endOfTurn')[1], {
      type: 'endOfTurn', turnStartMs: 1000, turnEndMs: 2900, atMs: 3500, reason: 'silence', continuation: true, interruptedReplyId: null,
    });
  });

  test('a second continuation still starts at the first turn', () => {
    const line = afterTurn();
    line.speak(500);
    line.silence(600);
    line.send({ type: 'replyQueued', replyId: 'r2' });
    line.speak(500);
    line.silence(600);
    assert.deepEqual(types(line.log), ['endOfTurn', 'cancelReply', 'endOfTurn', 'cancelReply', 'endOfTurn']);
    assert.deepEqual(only(line.log, 'endOfTurn').map((a) => [a.turnStartMs, a.continuation]), [[1000, false], [1000, true], [1000, true]]);
  });

  test('once the bot has answered, the next turn is not a continuation', () => {
    const line = afterTurn();
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    line.silence(500);
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    line.send({ type: 'replyQueued', replyId: 'r2' }); // e.g. a follow-up question
    line.speak(500);
    assert.deepEqual(types(line.log), ['endOfTurn', 'cancelReply']);
    line.silence(600);
    assert.equal(only(line.log, 'endOfTurn')[1].continuation, false);
  });

  test('the cancelled reply cannot start playing afterwards', () => {
    const line = afterTurn();
    line.speak(500);
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    assert.equal(line.engine.state, 'userSpeaking');
  });

  test('thinkingInterruptMinSpeechMs is configurable', () => {
    const line = afterTurn({ thinkingInterruptMinSpeechMs: 1000 });
    line.speak(980);
    assert.deepEqual(types(line.log), ['endOfTurn']);
    line.speak(20);
    assert.deepEqual(types(line.log), ['endOfTurn', 'cancelReply']);
  });

  test('speech under the threshold still counts towards barge-in once the reply plays', () => {
    const line = afterTurn();
    line.speak(200);
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    assert.deepEqual(types(line.speak(60)), ['bargeIn']);
  });
});
