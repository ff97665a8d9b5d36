import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPhraseGrammar, jsgfWords, phraseWords } from '../../src/providers/stt/phrase-grammar.js';

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
