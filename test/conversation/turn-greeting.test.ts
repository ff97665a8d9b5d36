import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

describe('protected greeting window', () => {
  test('no barge-in during the first greetingProtectMs of the greeting', () => {
    const line = new Line(); // t = 1000
    line.botSpeaks('hello', true);
    line.speak(1400); // ring-back / line noise
    line.silence(100);
    assert.deepEqual(line.log, []);
    assert.equal(line.engine.state, 'botSpeaking');
  });

  test('speech running through the window counts only from its end', () => {
    const line = new Line();
    line.botSpeaks('hello', true);
    line.speak(1740);
    assert.deepEqual(line.log, []);
    assert.equal(line.engine.nextDeadline(), 1000 + 1500 + 250);
    assert.deepEqual(line.speak(20), [{ type: 'bargeIn', replyId: 'hello', atMs: 2760, cause: 'speech', speechOnsetMs: 2500, playedMs: 1760 }]);
  });

  test('the same speech interrupts an ordinary reply at once', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.speak(260);
    assert.deepEqual(types(line.log), ['bargeIn']);
  });

  test('greeting flag may come with botSpeechStarted only', () => {
    const line = new Line();
    line.send({ type: 'botSpeechStarted', replyId: 'hello', greeting: true });
    line.speak(1000);
    assert.deepEqual(line.log, []);
  });

  test('DTMF does not cut the greeting inside the window, but does after it', () => {
    const line = new Line();
    line.botSpeaks('hello', true);
    line.silence(1000);
    assert.deepEqual(types(line.send({ type: 'dtmf', digit: '1' })), ['dtmf']);
    line.silence(600);
    assert.deepEqual(types(line.send({ type: 'dtmf', digit: '2' })), ['bargeIn', 'dtmf']);
  });

  test('greetingProtectMs is configurable', () => {
    const line = new Line({ greetingProtectMs: 0 });
    line.botSpeaks('hello', true);
    line.speak(260);
    assert.deepEqual(types(line.log), ['bargeIn']);
  });

  test('speech before the greeting starts playing does not cancel it', () => {
    const line = new Line();
    line.send({ type: 'replyQueued', replyId: 'hello', greeting: true });
    line.speak(2000);
    assert.equal(line.engine.state, 'thinking');
    assert.deepEqual(line.log, []);
  });
});

describe('protectWholeGreeting', () => {
  test('nothing the caller says interrupts the greeting', () => {
    const line = new Line({ protectWholeGreeting: true });
    line.botSpeaks('hello', true);
    line.speak(6000);
    line.send({ type: 'dtmf', digit: '9' });
    assert.deepEqual(types(line.log), ['dtmf']);
    assert.equal(line.engine.state, 'botSpeaking');
  });

  test('speech continuing after the greeting ends opens a turn counted from the end', () => {
    const line = new Line({ protectWholeGreeting: true });
    line.botSpeaks('hello', true);
    line.speak(3000); // t = 4000
    line.send({ type: 'botSpeechFinished', replyId: 'hello' });
    line.speak(140);
    assert.equal(line.engine.state, 'listening');
    line.speak(20);
    assert.equal(line.engine.state, 'userSpeaking');
    line.silence(600);
    assert.equal(only(line.log, 'endOfTurn')[0].turnStartMs, 4000);
  });

  test('ordinary replies stay interruptible', () => {
    const line = new Line({ protectWholeGreeting: true });
    line.botSpeaks('r1');
    line.speak(260);
    assert.deepEqual(types(line.log), ['bargeIn']);
  });
});
