import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechRuns } from '../../src/conversation/turn-speech.js';

describe('SpeechRuns', () => {
  test('counts voiced time of an open and a closed stretch', () => {
    const s = new SpeechRuns(150);
    assert.equal(s.hasRun, false);
    s.voiceOn(100);
    assert.equal(s.runVoicedMs(160), 60);
    assert.equal(s.lastVoiceMs(160), 160);
    s.voiceOff(200);
    assert.equal(s.runVoicedMs(999), 100);
    assert.equal(s.lastVoiceMs(999), 200);
    assert.equal(s.runOnsetMs, 100);
  });

  test('gaps up to gapMs join stretches into one run; longer gaps start a new one', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.voiceOff(100);
    s.voiceOn(250); // gap 150: same run
    s.voiceOff(300);
    assert.equal(s.runOnsetMs, 0);
    assert.equal(s.runVoicedMs(300), 150);
    s.voiceOn(451); // gap 151: new run
    assert.equal(s.runOnsetMs, 451);
    assert.equal(s.runVoicedMs(461), 10);
    assert.equal(s.totalVoicedMs(461), 160);
  });

  test('reachesAtMs predicts when an open run hits a threshold', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.voiceOff(100);
    s.voiceOn(200);
    assert.equal(s.reachesAtMs(250), 350);
    assert.equal(s.runVoicedMs(350), 250);
  });

  test('mask discards voice before the floor, including a floor in the future', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.mask(1000);
    assert.equal(s.runVoicedMs(800), 0);
    assert.equal(s.runOnsetMs, 1000);
    assert.equal(s.runVoicedMs(1100), 100);
    assert.equal(s.reachesAtMs(250), 1250);
    s.voiceOff(1200);
    assert.equal(s.totalVoicedMs(5000), 200);
  });

  test('a mask while silent ends the run', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.voiceOff(100);
    s.mask(150);
    assert.equal(s.hasRun, false);
    s.voiceOn(200); // within the gap, but the old run is gone
    assert.equal(s.runOnsetMs, 200);
    assert.equal(s.runVoicedMs(300), 100);
  });

  test('a consumed run stays consumed until a gap starts a new one', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.consume();
    assert.equal(s.hasRun, false);
    s.voiceOff(500);
    s.voiceOn(600);
    assert.equal(s.hasRun, false);
    s.voiceOff(700);
    s.voiceOn(1000);
    assert.equal(s.hasRun, true);
  });

  test('repeated on/off calls are idempotent', () => {
    const s = new SpeechRuns(150);
    s.voiceOn(0);
    s.voiceOn(50);
    s.voiceOff(100);
    s.voiceOff(200);
    assert.equal(s.runVoicedMs(300), 100);
    assert.equal(s.lastVoiceMs(300), 100);
  });
});
