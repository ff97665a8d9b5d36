import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TURN_CONFIG } from '../../src/conversation/turn-config.js';
import { turnVerdict } from '../../src/conversation/turn-verdict.js';
import type { SilentTurn } from '../../src/conversation/turn-verdict.js';

const quiet: SilentTurn = { lastVoiceMs: 10_000, voicedMs: 1000, interrupted: false, heardWords: false, finalAfterVoice: false };

describe('turnVerdict', () => {
  test('plain turn: end after endpointSilenceMs, or the shorter silence after a final', () => {
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, quiet), { kind: 'endOfTurn', atMs: 10_600, reason: 'silence' });
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, heardWords: true, finalAfterVoice: true }), {
      kind: 'endOfTurn', atMs: 10_250, reason: 'finalTranscript',
    });
  });

  test('an "after final" silence longer than the normal one is not used', () => {
    const cfg = { ...DEFAULT_TURN_CONFIG, endpointSilenceAfterFinalMs: 900 };
    assert.deepEqual(turnVerdict(cfg, { ...quiet, finalAfterVoice: true }), { kind: 'endOfTurn', atMs: 10_600, reason: 'silence' });
  });

  test('interruption with words: an ordinary end of turn', () => {
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, interrupted: true, heardWords: true, voicedMs: 260 }), {
      kind: 'endOfTurn', atMs: 10_600, reason: 'silence',
    });
  });

  test('interruption without words: short voice resumes at the endpoint, long voice after the transcript wait', () => {
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, interrupted: true, voicedMs: 499 }), {
      kind: 'resume', atMs: 10_600, reason: 'shortSpeech',
    });
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, interrupted: true, voicedMs: 500 }), {
      kind: 'resume', atMs: 11_500, reason: 'noTranscript',
    });
    const shortWait = { ...DEFAULT_TURN_CONFIG, falseInterruptionTranscriptWaitMs: 100 };
    assert.equal(turnVerdict(shortWait, { ...quiet, interrupted: true }).atMs, 10_600, 'never before the endpoint');
  });
});

describe('turnVerdict: the final transcript\'s completeness', () => {
  test('an incomplete final waits endpointSilenceIncompleteMs; a complete or unjudged one the short silence', () => {
    const final = { ...quiet, heardWords: true, finalAfterVoice: true };
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...final, finalIncomplete: true }), { kind: 'endOfTurn', atMs: 11_500, reason: 'incompleteTranscript' });
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...final, finalIncomplete: false }), { kind: 'endOfTurn', atMs: 10_250, reason: 'finalTranscript' });
  });

  test('an "incomplete" wait not longer than the normal one is not used', () => {
    const cfg = { ...DEFAULT_TURN_CONFIG, endpointSilenceIncompleteMs: 500 };
    assert.deepEqual(turnVerdict(cfg, { ...quiet, finalAfterVoice: true, finalIncomplete: true }), { kind: 'endOfTurn', atMs: 10_600, reason: 'silence' });
  });
});

describe('turnVerdict: a recognition of the pause still running', () => {
  test('silence alone does not end the turn until the words are known, up to endpointSilenceIncompleteMs', () => {
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, recognizing: true }), { kind: 'endOfTurn', atMs: 11_500, reason: 'silence' });
  });

  test('once its final arrived, the words decide: the short wait, or the long one for a number cut short', () => {
    const heard = { ...quiet, recognizing: true, heardWords: true, finalAfterVoice: true };
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, heard), { kind: 'endOfTurn', atMs: 10_250, reason: 'finalTranscript' });
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...heard, finalIncomplete: true }), { kind: 'endOfTurn', atMs: 11_500, reason: 'incompleteTranscript' });
  });

  test('a cough that cut the bot off still resumes it at the plain endpoint', () => {
    assert.deepEqual(turnVerdict(DEFAULT_TURN_CONFIG, { ...quiet, recognizing: true, interrupted: true, voicedMs: 300 }), {
      kind: 'resume', atMs: 10_600, reason: 'shortSpeech',
    });
  });

  test('without a longer wait configured, the plain silence ends it as before', () => {
    const cfg = { ...DEFAULT_TURN_CONFIG, endpointSilenceIncompleteMs: null };
    assert.deepEqual(turnVerdict(cfg, { ...quiet, recognizing: true }), { kind: 'endOfTurn', atMs: 10_600, reason: 'silence' });
  });
});
