import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

/** The host plays a prompt of `ms` and reports it finished. */
function playPrompt(line: Line, id: string, ms = 2000): void {
  line.botSpeaks(id);
  line.wait(ms);
  line.send({ type: 'botSpeechFinished', replyId: id });
}

describe('idle prompts and idle hangup', () => {
  test('idlePrompt after idleMs of silence, counted; hangup after maxIdlePrompts', () => {
    const line = new Line(); // t = 1000, idleMs 8000, maxIdlePrompts 2
    assert.equal(line.engine.nextDeadline(), 9000);
    assert.deepEqual(line.wait(7999), []);
    assert.deepEqual(line.wait(1), [{ type: 'idlePrompt', count: 1, atMs: 9000 }]);
    playPrompt(line, 'p1'); // finishes at 11000
    assert.equal(line.engine.nextDeadline(), 19000);
    assert.deepEqual(line.wait(8000), [{ type: 'idlePrompt', count: 2, atMs: 19000 }]);
    playPrompt(line, 'p2'); // finishes at 21000
    assert.deepEqual(line.wait(8000), [{ type: 'hangup', reason: 'idle', wrapUp: true, atMs: 29000 }]);
    assert.equal(line.engine.state, 'ended');
    assert.equal(line.engine.nextDeadline(), null);
    assert.deepEqual(line.speak(500), []);
  });

  test('silence frames keep counting towards idle (frames are not activity)', () => {
    const line = new Line();
    line.silence(8000);
    assert.deepEqual(types(line.log), ['idlePrompt']);
  });

  test('caller speech resets the count', () => {
    const line = new Line();
    line.wait(8000);
    line.speak(500);
    line.silence(600);
    line.wait(8000);
    assert.deepEqual(only(line.log, 'idlePrompt').map((a) => a.count), [1, 1]);
  });

  test('a cough below min speech does not reset idle', () => {
    const line = new Line();
    line.wait(8000);
    line.speak(100);
    line.silence(7900);
    assert.deepEqual(only(line.log, 'idlePrompt').map((a) => a.count), [1, 2]);
  });

  test('DTMF resets the timer and the count', () => {
    const line = new Line();
    line.wait(8000);
    line.wait(5000);
    line.send({ type: 'dtmf', digit: '3' }); // t = 14000
    assert.equal(line.engine.nextDeadline(), 22000);
    line.wait(8000);
    assert.deepEqual(only(line.log, 'idlePrompt').map((a) => [a.count, a.atMs]), [[1, 9000], [1, 22000]]);
  });

  test('no idle prompt while the bot is thinking or speaking, or the caller is talking', () => {
    const line = new Line();
    line.send({ type: 'replyQueued', replyId: 'r1' });
    line.wait(20000);
    line.send({ type: 'botSpeechStarted', replyId: 'r1' });
    line.wait(20000);
    assert.deepEqual(line.log, []);
    line.send({ type: 'botSpeechFinished', replyId: 'r1' }); // t = 41000
    assert.equal(line.engine.nextDeadline(), 49000);
  });

  test('idleMs, maxIdlePrompts and idleWrapUp are configurable', () => {
    const line = new Line({ idleMs: 3000, maxIdlePrompts: 0, idleWrapUp: false });
    assert.deepEqual(line.wait(3000), [{ type: 'hangup', reason: 'idle', wrapUp: false, atMs: 4000 }]);
  });
});
