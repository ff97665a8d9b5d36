// Understanding callers' own words offline: the intent matcher (keywords, synonyms, any order, no guess between
// similar intents), digit slots that admit only their length, the read-back dialog, and yes/no only after a
// yes/no question.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { IntentBrain, asksYesNo } from '../../src/agent/brain/intent-brain.js';
import { IntentMatcher } from '../../src/agent/brain/intent-matcher.js';
import { GENERAL_GRAMMAR, YES_NO_GRAMMAR, confirmGrammarKey, slotGrammarKey } from '../../src/agent/brain/intent-grammar.js';
import { digitRuleLine, digitSlotRules, slotRule } from '../../src/agent/brain/digit-grammar.js';
import { agentDefinitionSchema, type IntentSpec, type SlotSpec } from '../../src/agent/definition/schema.js';
import { loadAgentDefinitions } from '../../src/agent/definition/loader.js';
import type { BrainInput, BrainOutput } from '../../src/conversation/brain.js';
import { unrecognisedRecord } from '../../src/conversation/caller-input.js';
import { phraseWords } from '../../src/providers/stt/phrase-grammar.js';

const def = loadAgentDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'front-desk')!.definition;
const brain = new IntentBrain(def);
const intent = (name: string) => def.intents.find((i) => i.name === name)!;
const signal = new AbortController().signal;

function session() {
  const s = brain.startSession();
  s.greeting();
  const send = (input: BrainInput) => s.respond(input, [], signal) as BrainOutput;
  const text = (out: BrainOutput) => (out.kind === 'reply' ? out.reply.text : null);
  return Object.assign(s, {
    say: (words: string) => text(send({ type: 'speech', text: words, confidence: 0.9 })),
    key: (digit: string) => text(send({ type: 'dtmf', digit })),
    unheard: () => text(send({ type: 'unrecognised', reason: 'low-confidence' })),
  });
}

const matchedIntent = (words: string, key = GENERAL_GRAMMAR) => {
  const m = brain.grammar.match(words, key);
  return m?.kind === 'intent' ? m.intent.name : (m?.kind ?? null);
};

test("callers' own words: synonyms, keywords and any word order reach the intent", () => {
  assert.equal(matchedIntent('what time do you shut'), 'opening-hours', 'shut is a synonym of close');
  assert.equal(matchedIntent('could you tell me where the store is please'), 'address', 'store is a synonym of shop; extra words around');
  assert.equal(matchedIntent('hours opening what are your'), 'opening-hours', 'order does not matter');
  assert.equal(matchedIntent('has my parcel been shipped yet'), 'order-status');
  assert.equal(matchedIntent('can i speak to the manager'), 'talk-to-person');
  assert.equal(matchedIntent('do you sell televisions'), null, 'nothing of the agent: no intent');
  assert.equal(matchedIntent('is it going to rain'), null);
});

test('words that point to two intents about equally are not guessed', () => {
  const spec = (name: string, keywords: string[]): IntentSpec => ({ name, examples: [name], keywords, synonyms: {}, reply: name, action: 'reply' });
  const matcher = new IntentMatcher([spec('hours', ['hours', 'store']), spec('address', ['address', 'store'])]);
  assert.equal(matcher.match(phraseWords('store hours')).kind, 'intent');
  const both = matcher.match(phraseWords('store hours and address'));
  assert.equal(both.kind, 'ambiguous');
  assert.equal(matcher.match(phraseWords('store')).kind, 'none', 'a cue two intents share is too weak alone');
});

test('keywords and synonyms are validated like the rest of the definition', () => {
  const raw = { ...structuredClone(def), intents: def.intents.map((i) => ({ ...i, synonyms: { close: [] } })) };
  assert.equal(agentDefinitionSchema.safeParse(raw).success, false, 'a synonym needs at least one word');
  const slotIntent = def.intents.find((i) => i.slot)!;
  const badConfirm = { ...structuredClone(def), intents: def.intents.map((i) => (i === slotIntent ? { ...i, slot: { ...i.slot!, confirm: 'Is that right?' } } : i)) };
  const parsed = agentDefinitionSchema.safeParse(badConfirm);
  assert.equal(parsed.success, false);
  assert.match(JSON.stringify(parsed.error?.issues), /must contain \{order_number\}/);
});

/** Expands a rule of the JSGF lines `digitSlotRules` writes into the word strings it admits (small grammars only). */
function admitted(lines: string[], rule: string): Set<string> {
  const rules = new Map(lines.map((l) => /^<([^>]+)> = (.*);$/.exec(l)!).map((m) => [m[1]!, m[2]!.split(' | ')]));
  const expand = (name: string): string[] =>
    rules.get(name)!.flatMap((alt) =>
      alt.split(' ').reduce<string[]>((acc, tok) => {
        const ref = /^<(.+)>$/.exec(tok);
        const options = ref ? expand(ref[1]!) : [tok];
        return acc.flatMap((a) => options.map((o) => (a ? `${a} ${o}` : o)));
      }, ['']),
    );
  return new Set(expand(rule));
}

test('a digit slot admits only its length, "double" and "triple" counted as two and three digits', () => {
  const slot: SlotSpec = { ...intent('order-status').slot!, minDigits: 3, maxDigits: 3 };
  const lines = [digitRuleLine().replace(/zero \| oh \| one \| two \| three \| four \| five \| six \| seven \| eight \| nine/, 'two | five | eight'), ...digitSlotRules(slot)];
  const said = admitted(lines, slotRule(slot));
  assert.ok(said.has('two five eight'));
  assert.ok(said.has('double five eight'));
  assert.ok(said.has('two double eight'));
  assert.ok(said.has('triple eight'));
  assert.ok(!said.has('two five'), 'two digits are too few');
  assert.ok(!said.has('two five double eight'), 'four digits are too many');
  assert.ok(!said.has('double five double eight'));
  // The shipped five-digit slot, through the matcher.
  const key = slotGrammarKey(intent('order-status'));
  assert.deepEqual(brain.grammar.match('two five five double eight', key), { kind: 'slotValue', intent: intent('order-status'), value: '25588' });
  assert.deepEqual(brain.grammar.match('one two three four five six', key), { kind: 'slotValue', intent: intent('order-status'), value: null }, 'six digits are no five-digit value');
  assert.deepEqual(brain.grammar.match('two five five five double eight', key), { kind: 'slotValue', intent: intent('order-status'), value: null });
  assert.deepEqual(brain.grammar.match('um four seven oh double nine please', key), { kind: 'slotValue', intent: intent('order-status'), value: '47099' }, '"oh" is zero; words around');
});

test('a spoken order number is read back, then confirmed, corrected by voice or typed', () => {
  const slot = intent('order-status').slot!;
  const s = session();
  assert.equal(s.say('where is my order'), slot.ask);
  assert.equal(s.say('four seven two one nine'), 'I heard 4 7 2 1 9. Is that right?');
  assert.equal(s.grammarKey(), confirmGrammarKey(intent('order-status')));
  assert.equal(s.say("no it's four seven two one eight"), 'I heard 4 7 2 1 8. Is that right?', 'corrected by voice');
  assert.match(s.say('yes')!, /^I couldn't find order 4 7 2 1 8\./);

  assert.equal(s.say('my order number is one two three four five'), 'I heard 1 2 3 4 5. Is that right?');
  assert.equal(s.say('no'), slot.retry, 'wrong: asked again');
  assert.equal(s.grammarKey(), slotGrammarKey(intent('order-status')));
  assert.equal(s.say('double one triple one'), 'I heard 1 1 1 1 1. Is that right?');
  assert.equal(s.unheard(), 'I heard 1 1 1 1 1. Is that right?', 'not understood: the read-back once more');
  assert.equal(s.key('2'), null, 'typing corrects it on the keypad');
  for (const d of '468') s.key(d);
  assert.match(s.key('0')!, /^Order 2 4 6 8 0 is packed/, 'typed values are not read back');
});

test('yes and no are only heard after a yes/no question', () => {
  assert.ok(asksYesNo('Order 1 was delivered. Is there anything else I can help you with?'));
  assert.ok(!asksYesNo('Hello, Sharma Electronics here. How can I help you today?'));
  assert.ok(!asksYesNo('Are you still there? You can ask about our opening hours.'));
  const s = session();
  assert.equal(s.grammarKey(), GENERAL_GRAMMAR, 'the greeting asks how to help');
  assert.equal(s.say('yes'), def.prompts.fallback, '"yes" to "how can I help?" is no answer');
  assert.equal(s.say('what are your hours'), intent('opening-hours').reply);
  assert.equal(s.grammarKey(), YES_NO_GRAMMAR);
  assert.equal(s.say('yeah sure'), def.prompts.howCanIHelp, 'a loose yes');
  assert.equal(s.grammarKey(), GENERAL_GRAMMAR);
  assert.equal(matchedIntent('no', GENERAL_GRAMMAR), null);
  assert.equal(matchedIntent('no', YES_NO_GRAMMAR), 'no');
});

test("a rejected turn's record keeps the recogniser's hypothesis and confidence", () => {
  assert.equal(unrecognisedRecord({ confidence: 0.31, hypothesis: 'what are your hours', rejected: 'low-confidence' }), '[unrecognised: "what are your hours" 0.31 low-confidence]');
  assert.equal(unrecognisedRecord({ confidence: 0, rejected: 'silence' }), '[unrecognised: silence]');
});
