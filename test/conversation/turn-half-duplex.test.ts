import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

describe('half duplex', () => {
  test('caller audio is ignored while the bot speaks', () => {
    const line = new Line({ halfDuplex: true });
    line.botSpeaks('r1');
    line.speak(3000);
    assert.deepEqual(line.log, []);
    assert.equal(line.engine.state, 'botSpeaking');
  });

  test('DTMF still interrupts', () => {
    const line = new Line({ halfDuplex: true });
    line.botSpeaks('r1');
    assert.deepEqual(types(line.send({ type: 'dtmf', digit: '0' })), ['bargeIn', 'dtmf']);
  });

  test('speech running past the end of playout counts from that end', () => {
    const line = new Line({ halfDuplex: true });
    line.botSpeaks('r1');
    line.speak(2000); // t = 3000
    line.send({ type: 'botSpeechFinished', replyId: 'r1' });
    line.speak(140);
    assert.equal(line.engine.state, 'listening');
    line.speak(20);
    line.silence(600);
    assert.equal(only(line.log, 'endOfTurn')[0].turnStartMs, 3000);
  });

  test('full duplex (default) lets the same speech barge in', () => {
    const line = new Line();
    line.botSpeaks('r1');
    line.speak(3000);
    assert.deepEqual(types(only(line.log, 'bargeIn')), ['bargeIn']);
  });
});
