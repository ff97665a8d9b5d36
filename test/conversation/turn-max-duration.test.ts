import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { TurnTaker } from '../../src/conversation/turn-taking.js';
import { Line, types } from './turn-fixtures.js';

describe('maximum call duration', () => {
  test('hangup(max-duration) exactly maxCallMs after callStarted', () => {
    const line = new Line({ maxCallMs: 60_000, idleMs: 100_000 }); // t = 1000
    assert.equal(line.engine.nextDeadline(), 61_000);
    assert.deepEqual(line.wait(59_999), []);
    assert.deepEqual(line.wait(1), [{ type: 'hangup', reason: 'max-duration', wrapUp: true, atMs: 61_000 }]);
    assert.equal(line.engine.state, 'ended');
  });

  test('it ends the call whatever is going on', () => {
    const line = new Line({ maxCallMs: 5000, protectWholeGreeting: true });
    line.botSpeaks('r1', true);
    line.speak(4980);
    assert.deepEqual(line.log, []);
    assert.deepEqual(types(line.speak(40)), ['hangup']);
    assert.deepEqual(line.send({ type: 'dtmf', digit: '1' }), []);
  });

  test('maxDurationWrapUp: false; null means no limit', () => {
    const line = new Line({ maxCallMs: 1000, maxDurationWrapUp: false });
    assert.deepEqual(line.wait(1000), [{ type: 'hangup', reason: 'max-duration', wrapUp: false, atMs: 2000 }]);

    const unlimited = new Line({ maxCallMs: null, idleMs: 1e9 });
    assert.equal(unlimited.engine.nextDeadline(), 1e9 + 1000);
  });
});

describe('call lifecycle', () => {
  test('inputs before callStarted are ignored; callEnded stops the engine', () => {
    const fresh = new TurnTaker();
    assert.equal(fresh.state, 'idle');
    assert.deepEqual(fresh.handle({ type: 'dtmf', nowMs: 5, digit: '1' }), []);
    assert.equal(fresh.nextDeadline(), null);

    const line = new Line();
    line.speak(300);
    assert.deepEqual(line.send({ type: 'callEnded' }), []);
    assert.equal(line.engine.state, 'ended');
    assert.equal(line.engine.nextDeadline(), null);
    assert.deepEqual(line.silence(2000), []);
  });

  test('replyCancelled from the host returns to listening; unknown ids change nothing', () => {
    const line = new Line();
    line.send({ type: 'replyQueued', replyId: 'r1' });
    line.send({ type: 'replyCancelled', replyId: 'other' });
    assert.equal(line.engine.state, 'thinking');
    line.send({ type: 'replyCancelled', replyId: 'r1' });
    assert.equal(line.engine.state, 'listening');
  });

  test('an input stamped earlier than the last one is taken as happening now', () => {
    const line = new Line();
    line.t = 5000;
    line.send({ type: 'replyQueued', replyId: 'r1' });
    line.t = 4000;
    line.send({ type: 'botSpeechStarted', replyId: 'r1', atMs: 5000 });
    line.t = 5000;
    assert.deepEqual(line.send({ type: 'dtmf', digit: '1' }).map((a) => a.atMs), [5000, 5000]);
  });
});
