import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSentences } from '../../src/providers/tts/sentences.js';
import { buildPhraseGrammar, jsgfWords, phraseWords } from '../../src/providers/stt/phrase-grammar.js';

test('splitSentences splits on sentence punctuation and the danda', () => {
  assert.deepEqual(splitSentences('Your order number is 42. It will arrive on Monday. "Great!" she said.'), [
    'Your order number is 42.',
    'It will arrive on Monday.',
    '"Great!" she said.',
  ]);
  assert.deepEqual(splitSentences('नमस्ते, आपका स्वागत है। मैं आपकी कैसे मदद कर सकता हूँ?'), ['नमस्ते, आपका स्वागत है।', 'मैं आपकी कैसे मदद कर सकता हूँ?']);
});

test('splitSentences keeps abbreviations, decimals and short pieces together', () => {
  assert.deepEqual(splitSentences('Mr. Rao paid Rs. 2.5 lakh today. Thanks.'), ['Mr. Rao paid Rs. 2.5 lakh today. Thanks.']);
  assert.deepEqual(splitSentences('Yes. I can help you with that.'), ['Yes. I can help you with that.']);
  assert.deepEqual(splitSentences('line one is here\nline two is here'), ['line one is here', 'line two is here']);
  assert.deepEqual(splitSentences('  '), []);
});

test('phraseWords lowercases and drops punctuation, keeping inner apostrophes', () => {
  assert.deepEqual(phraseWords("Yes, please! I'm 'done'."), ['yes', 'please', "i'm", 'done']);
});

test('buildPhraseGrammar makes one alternative per distinct phrase and maps words back', () => {
  const g = buildPhraseGrammar(['Talk to an agent', 'talk to an agent!', 'No', '...']);
  assert.equal(g.jsgf, '#JSGF V1.0;\ngrammar phrases;\npublic <utterance> = (talk to an agent) | (no);\n');
  assert.deepEqual(g.words, ['talk', 'to', 'an', 'agent', 'no']);
  assert.equal(g.phraseOf.get('talk to an agent'), 'Talk to an agent');
});

test('jsgfWords extracts terminals only', () => {
  const jsgf = '#JSGF V1.0;\ngrammar g; // comment\npublic <cmd> = /2/ (call | dial) <place> {tag} [please];\n<place> = home | office*;\n';
  assert.deepEqual(jsgfWords(jsgf), ['call', 'dial', 'please', 'home', 'office']);
});
