import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CORPUS_FILE, loadCorpus, normalise } from '../../eval/understanding/corpus.js';
import { loadFrontDesk } from '../../eval/understanding/run.js';
import { classifyReply, digitsReadBack, score } from '../../eval/understanding/score.js';

const agent = loadFrontDesk();
const source = readFileSync(CORPUS_FILE, 'utf8');

test('the shipped corpus loads, with the sizes the evaluation promises', () => {
  const corpus = loadCorpus(agent, source);
  const count = (set: string) => corpus.filter((u) => u.set === set).length;
  assert.equal(count('literal'), agent.intents.reduce((n, i) => n + i.examples.length, 0));
  assert.ok(count('paraphrases') >= 40);
  assert.ok(count('digits') >= 30);
  assert.ok(count('out-of-scope') >= 30);
  assert.ok(count('non-speech') >= 4);
  const examples = new Set(agent.intents.flatMap((i) => i.examples.map(normalise)));
  for (const u of corpus.filter((u) => u.set === 'paraphrases')) assert.ok(!examples.has(normalise(u.text!)), u.text);
  // A placeholder example is said with an order number, and must be answered with it.
  const withSlot = corpus.find((u) => u.id === 'literal/my-order-number-is-{order_number}')!;
  assert.equal(withSlot.text, 'my order number is one two three four five');
  assert.deepEqual(withSlot.expect, { kind: 'order', digits: '12345' });
});

test('a paraphrase that is one of the agent\'s examples (after normalising) is refused', () => {
  const leaked = source.replace('- { text: what are your timings, intent: opening-hours }', '- { text: "What are your HOURS?", intent: opening-hours }');
  assert.notEqual(leaked, source);
  assert.throws(() => loadCorpus(agent, leaked), /"What are your HOURS\?" is one of the agent's own phrases/);
});

test('digits that do not say the order number, and unknown intents, are refused', () => {
  const wrongDigits = source.replace('digits: "12345" }', 'digits: "12346" }');
  assert.throws(() => loadCorpus(agent, wrongDigits), /do not say 12346/);
  const unknown = source.replace('intent: address }', 'intent: delivery }');
  assert.throws(() => loadCorpus(agent, unknown), /no intent delivery/);
});

test('replies are classified from label and text, and scored', () => {
  const order = agent.intents.find((i) => i.name === 'order-status')!;
  assert.equal(digitsReadBack('Order 4 0 7 7 3 was shipped'), '40773');
  const answer = classifyReply(agent, 'order-status', 'I couldn\'t find order 5 5 2 1 0. Please check');
  assert.deepEqual(answer, { kind: 'intent', intent: 'order-status', step: 'answer', digits: '55210' });
  const ask = classifyReply(agent, 'order-status', order.slot!.ask);
  assert.deepEqual(ask, { kind: 'intent', intent: 'order-status', step: 'ask' });
  assert.deepEqual(classifyReply(agent, undefined, undefined), { kind: 'none' });
  assert.deepEqual(classifyReply(agent, 'fallback', agent.prompts.fallback), { kind: 'declined', label: 'fallback' });

  assert.deepEqual(score({ kind: 'order', digits: '55210' }, answer, 'order-status'), { correct: true, falseAccept: false });
  assert.deepEqual(score({ kind: 'order', digits: '55211' }, answer, 'order-status'), { correct: false, falseAccept: true });
  assert.deepEqual(score({ kind: 'order', digits: '55210' }, ask, 'order-status'), { correct: false, falseAccept: false });
  assert.deepEqual(score({ kind: 'intent', intent: 'order-status' }, ask, 'order-status'), { correct: true, falseAccept: false });
  // A number read back that the caller never said is made up.
  assert.deepEqual(score({ kind: 'intent', intent: 'order-status' }, answer, 'order-status'), { correct: false, falseAccept: true });
  assert.deepEqual(score({ kind: 'declined' }, ask, 'order-status'), { correct: false, falseAccept: true });
  assert.deepEqual(score({ kind: 'declined' }, { kind: 'none' }, 'order-status'), { correct: true, falseAccept: false });
  assert.deepEqual(score({ kind: 'intent', intent: 'address' }, { kind: 'declined', label: 'fallback' }, 'order-status'), { correct: false, falseAccept: false });
});
