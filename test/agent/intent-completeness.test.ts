// The offline brain's judgement of a turn's words for endpointing: half an order number is not a whole request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { loadAgentDefinitions } from '../../src/agent/definition/loader.js';
import { longestDigitRun } from '../../src/language/spoken-digits.js';

const def = loadAgentDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'front-desk')!.definition;
const signal = new AbortController().signal;

test('longestDigitRun counts the digits of the longest run said one by one', () => {
  assert.equal(longestDigitRun('my order number is four seven'), 2);
  assert.equal(longestDigitRun('four seven two double one'), 5);
  assert.equal(longestDigitRun('it is oh one and then nine'), 2);
  assert.equal(longestDigitRun('what are your opening hours'), 0);
});

test('front desk: a number cut short is incomplete; whole requests and lone digit-like words are not judged', () => {
  const s = new IntentBrain(def).startSession();
  s.greeting();
  assert.equal(s.isComplete!('my order number is four seven'), false);
  assert.equal(s.isComplete!('four seven two one'), false);
  assert.equal(s.isComplete!('my order number is four seven two one nine'), undefined);
  assert.equal(s.isComplete!('what time do you open'), undefined, '"do" (Hindi two) alone is a word');
  assert.equal(s.isComplete!('where is the shop'), undefined);
  // The words that lead into the number, with no number or too little of one after them.
  assert.equal(s.isComplete!('my order number is'), false);
  assert.equal(s.isComplete!('my a order number is for seven'), false, '"four" heard as "for": one digit so far');
  assert.equal(s.isComplete!('where is order five'), false);
  assert.equal(s.isComplete!('what time is it'), undefined, 'no lead-in of two function words ("it is")');
  assert.equal(s.isComplete!('what is the status of my order'), undefined);
});

test('front desk: while asking for the order number, the slot decides what is short', async () => {
  const s = new IntentBrain(def).startSession();
  s.greeting();
  await s.respond({ type: 'dtmf', digit: '2' }, [], signal);
  assert.equal(s.isComplete!('four seven two'), false);
  assert.equal(s.isComplete!('four seven two one nine'), undefined);
});
