import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Line, only, types } from './turn-fixtures.js';

describe('endpointing: trailing silence ends the turn', () => {
  test('endOfTurn fires when silence reaches endpointSilenceMs, not a frame earlier', () => {
    const line = new Line(); // t = 1000
    line.speak(500);
    assert.equal(line.engine.state, 'userSpeaking');
    assert.deepEqual(line.silence(580), []);
    assert.equal(line.engine.nextDeadline(), 2100);
    const acts = line.silence(20);
    assert.deepEqual(acts, [
      { type: 'endOfTurn', turnStartMs: 1000, turnEndMs: 1500, atMs: 2100, reason: 'silence', continuation: false, interruptedReplyId: null },
    ]);
    assert.equal(line.engine.state, 'listening');
  });

  test('a pause shorter than the endpoint keeps one turn', () => {
    const line = new Line();
    line.speak(300);
    line.silence(500);
    line.speak(300);
    line.silence(700);
    const turns = only(line.log, 'endOfTurn');
    assert.equal(turns.length, 1);
    assert.equal(turns[0].turnStartMs, 1000);
    assert.equal(turns[0].turnEndMs, 2100);
  });

  test('endpointSilenceMs is configurable', () => {
    const line = new Line({ endpointSilenceMs: 1000 });
    line.speak(300);
    assert.deepEqual(line.silence(980), []);
    assert.deepEqual(types(line.silence(20)), ['endOfTurn']);
  });
});

describe('endpointing: minimum speech duration', () => {
  test('a click or cough shorter than minSpeechMs never opens a turn', () => {
    const line = new Line();
    line.speak(140);
    assert.equal(line.engine.state, 'listening');
    line.silence(2000);
    assert.deepEqual(line.log, []);
  });

  test('speech reaching minSpeechMs opens the turn at its onset', () => {
    const line = new Line();
    line.silence(100);
    line.speak(160);
    assert.equal(line.engine.state, 'userSpeaking');
    line.silence(600);
    assert.equal(only(line.log, 'endOfTurn')[0].turnStartMs, 1100);
  });
});

describe('endpointing: shorter silence after a final transcript', () => {
  test('a final transcript after the speech stopped shortens the endpoint', () => {
    const line = new Line(); // endpointSilenceAfterFinalMs 250
    line.speak(500); // voice until 1500
    line.silence(100);
    line.send({ type: 'transcript', text: 'hello there', final: true });
    assert.equal(line.engine.nextDeadline(), 1750);
    assert.deepEqual(line.wait(149), []);
    const [eot] = line.wait(1);
    assert.deepEqual(eot, {
      type: 'endOfTurn', turnStartMs: 1000, turnEndMs: 1500, atMs: 1750, reason: 'finalTranscript', continuation: false, interruptedReplyId: null,
    });
  });

  test('a final that arrives late ends the turn at once', () => {
    const line = new Line();
    line.speak(500);
    line.silence(400); // 400 ms of silence > 250
    const acts = line.send({ type: 'transcript', text: 'ok', final: true });
    assert.deepEqual(only(acts, 'endOfTurn').map((a) => [a.atMs, a.reason]), [[1900, 'finalTranscript']]);
  });

  test('a final received while the caller was still speaking does not shorten it', () => {
    const line = new Line();
    line.speak(300);
    line.send({ type: 'transcript', text: 'so', final: true });
    line.speak(300);
    line.silence(300);
    assert.equal(line.engine.nextDeadline(), 1600 + 600);
  });

  test('interim or empty transcripts do not shorten it', () => {
    const line = new Line();
    line.speak(300);
    line.silence(100);
    line.send({ type: 'transcript', text: 'hel', final: false });
    line.send({ type: 'transcript', text: '  ', final: true });
    assert.equal(line.engine.nextDeadline(), 1300 + 600);
  });

  test('null turns the shortcut off', () => {
    const line = new Line({ endpointSilenceAfterFinalMs: null });
    line.speak(300);
    line.silence(100);
    line.send({ type: 'transcript', text: 'yes', final: true });
    assert.equal(line.engine.nextDeadline(), 1300 + 600);
  });
});

describe('endpointing: maximum turn length', () => {
  test('a turn is forced to end after maxTurnMs even while the caller speaks', () => {
    const line = new Line({ maxTurnMs: 2000 });
    line.speak(1980);
    assert.deepEqual(line.log, []);
    const acts = line.speak(20);
    assert.deepEqual(acts, [
      { type: 'endOfTurn', turnStartMs: 1000, turnEndMs: 3000, atMs: 3000, reason: 'maxTurn', continuation: false, interruptedReplyId: null },
    ]);
  });

  test('the rest of that speech run does not open a new turn; a new run does', () => {
    const line = new Line({ maxTurnMs: 2000 });
    line.speak(4000);
    assert.equal(line.engine.state, 'listening');
    line.silence(300); // longer than speechGapMs: the run is over
    line.speak(200);
    assert.equal(line.engine.state, 'userSpeaking');
    line.silence(600);
    assert.deepEqual(only(line.log, 'endOfTurn').map((a) => [a.turnStartMs, a.reason]), [[1000, 'maxTurn'], [5300, 'silence']]);
  });
});

describe('endpointing with segment events instead of frames', () => {
  test('speechStart/speechEnd plus ticks at nextDeadline', () => {
    const line = new Line();
    line.t = 1400;
    line.send({ type: 'speechStart', onsetMs: 1200 }); // VAD confirmed 200 ms late
    assert.equal(line.engine.state, 'userSpeaking');
    line.t = 2500;
    line.send({ type: 'speechEnd', endMs: 2400 });
    assert.equal(line.engine.nextDeadline(), 3000);
    line.t = 3000;
    const acts = line.engine.tick(3000);
    assert.deepEqual(acts.map((a) => a.type === 'endOfTurn' && [a.turnStartMs, a.turnEndMs, a.atMs]), [[1200, 2400, 3000]]);
  });

  test('an open segment reaches min speech at onset + minSpeechMs', () => {
    const line = new Line();
    line.send({ type: 'speechStart' });
    assert.equal(line.engine.state, 'listening');
    assert.equal(line.engine.nextDeadline(), 1150);
    line.engine.tick(1150);
    assert.equal(line.engine.state, 'userSpeaking');
  });
});

describe('endpointing: a final judged incomplete waits longer', () => {
  test('"my order number is four seven": the turn stays open for endpointSilenceIncompleteMs, and more speech joins it', () => {
    const line = new Line(); // endpointSilenceMs 600, endpointSilenceIncompleteMs 1500
    line.speak(500); // voice until 1500
    line.silence(100);
    line.send({ type: 'transcript', text: 'my order number is four seven', final: true, complete: false });
    assert.equal(line.engine.nextDeadline(), 1500 + 1500);
    assert.deepEqual(only(line.wait(800), 'endOfTurn'), [], 'not ended at the normal 600 ms');
    line.speak(400); // the caller finds the rest of the number
    line.silence(100);
    line.send({ type: 'transcript', text: 'my order number is four seven two one nine', final: true, complete: true });
    const acts = line.wait(200);
    assert.deepEqual(only(acts, 'endOfTurn').map((a) => [a.turnStartMs, a.reason]), [[1000, 'finalTranscript']]);
  });

  test('silence after an incomplete final ends the turn once the longer wait is over', () => {
    const line = new Line();
    line.speak(500);
    line.silence(100);
    line.send({ type: 'transcript', text: 'four seven', final: true, complete: false });
    const acts = line.wait(1400);
    assert.deepEqual(only(acts, 'endOfTurn').map((a) => [a.atMs, a.reason]), [[3000, 'incompleteTranscript']]);
  });

  test('with endpointSilenceIncompleteMs null the incomplete final is an ordinary silence endpoint', () => {
    const line = new Line({ endpointSilenceIncompleteMs: null });
    line.speak(500);
    line.silence(100);
    line.send({ type: 'transcript', text: 'four seven', final: true, complete: false });
    assert.equal(line.engine.nextDeadline(), 1500 + 600);
  });
});
