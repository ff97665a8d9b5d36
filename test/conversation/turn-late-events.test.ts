import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Line } from './turn-fixtures.js';

// Found by the turn-taking property test: a playback start that arrives after its reply was dropped
// made the engine think the bot was speaking while the host played nothing.

test('a late start of a reply the host replaced is ignored: the new reply stays the one in flight', () => {
  const line = new Line();
  line.send({ type: 'replyQueued', replyId: 'r1', greeting: true });
  line.send({ type: 'replyCancelled', replyId: 'r1' });
  line.send({ type: 'replyQueued', replyId: 'r2' });
  line.send({ type: 'botSpeechStarted', replyId: 'r1' });
  assert.equal(line.engine.state, 'thinking');
  line.send({ type: 'botSpeechStarted', replyId: 'r2' });
  assert.equal(line.engine.state, 'botSpeaking');
});

test('a late start of a reply the host cancelled is ignored', () => {
  const line = new Line();
  line.send({ type: 'replyQueued', replyId: 'r1' });
  line.send({ type: 'replyCancelled', replyId: 'r1' });
  line.send({ type: 'botSpeechStarted', replyId: 'r1' });
  assert.equal(line.engine.state, 'listening');
});
