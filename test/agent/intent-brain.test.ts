import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { GENERAL_GRAMMAR, YES_NO_GRAMMAR } from '../../src/agent/brain/intent-grammar.js';
import { speakDigits } from '../../src/agent/brain/digits.js';
import { spokenDigits } from '../../src/language/spoken-digits.js';
import type { BrainInput, BrainOutput, BrainSession } from '../../src/conversation/brain.js';
import { loadAgentDefinitions } from '../../src/agent/definition/loader.js';

const def = loadAgentDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'front-desk')!.definition;
const brain = new IntentBrain(def);
const intent = (name: string) => def.intents.find((i) => i.name === name)!;
const signal = new AbortController().signal;

function session(): BrainSession & { send(input: BrainInput): BrainOutput; say(text: string): string; key(d: string): string | null } {
  const s = brain.startSession();
  s.greeting();
  const send = (input: BrainInput) => s.respond(input, [], signal) as BrainOutput;
  const textOf = (out: BrainOutput) => (out.kind === 'reply' ? out.reply.text : null);
  return Object.assign(s, {
    send,
    say: (text: string) => textOf(send({ type: 'speech', text, confidence: 0.9 }))!,
    key: (digit: string) => textOf(send({ type: 'dtmf', digit })),
  });
}

test('digit words, including Indian-English "double" and "triple"', () => {
  assert.equal(spokenDigits('one two oh nine'), '1209');
  assert.equal(spokenDigits('double one triple seven'), '11777');
  assert.equal(spokenDigits('double double one'), undefined);
  assert.equal(spokenDigits('one double'), undefined);
  assert.equal(spokenDigits('one please'), undefined);
  assert.equal(speakDigits('12345'), '1 2 3 4 5');
});

test('an intent is answered with its reply and action', () => {
  const s = session();
  assert.equal(s.say('what are your opening hours'), intent('opening-hours').reply);
  assert.equal(s.say('when are you open'), intent('opening-hours').reply);
  const out = s.send({ type: 'speech', text: 'talk to a person', confidence: 1 });
  assert.equal(out.kind, 'reply');
  assert.deepEqual(out.kind === 'reply' && out.reply.action, { type: 'transfer', reason: 'intent:talk-to-person' });
  const bye = s.send({ type: 'speech', text: 'goodbye', confidence: 1 });
  assert.deepEqual(bye.kind === 'reply' && bye.reply.action, { type: 'hangup', reason: 'intent:goodbye' });
});

test('a slot is asked for, then filled from spoken digits; known values have their own answer', () => {
  const s = session();
  assert.equal(s.grammarKey(), GENERAL_GRAMMAR);
  assert.equal(s.say('where is my order'), intent('order-status').slot!.ask);
  assert.equal(s.grammarKey(), 'slot:order-status', 'listening for the bare number now');
  assert.equal(s.say('one two three four five'), 'I heard 1 2 3 4 5. Is that right?', 'a spoken value is read back');
  assert.equal(s.grammarKey(), 'confirm:order-status');
  assert.equal(s.say('yes'), 'Order 1 2 3 4 5 was shipped yesterday and should reach you by tomorrow evening. Is there anything else I can help you with?');
  assert.equal(s.grammarKey(), YES_NO_GRAMMAR, '"anything else?" is a yes/no question');
  assert.equal(s.say('my order number is five four three two one'), 'I heard 5 4 3 2 1. Is that right?', 'a value said with the intent needs no question');
  assert.match(s.say('correct'), /^I couldn't find order 5 4 3 2 1\./);
  s.say('where is order double one triple one');
  assert.match(s.say('yes'), /^Order 1 1 1 1 1 was delivered on Monday\./);
});

test('a wrong or unrecognised slot value is asked again, then the agent gives up', () => {
  const s = session();
  const slot = intent('order-status').slot!;
  s.say('track my order');
  assert.equal(s.say('it is one two three'), slot.retry, 'three digits are not an order number');
  assert.equal(s.send({ type: 'unrecognised', reason: 'low-confidence' }).kind === 'reply' && s.grammarKey(), 'slot:order-status');
  assert.equal(s.say('one two'), def.prompts.fallback, 'after two retries it stops asking');
  assert.equal(s.grammarKey(), GENERAL_GRAMMAR);
});

test('the slot can be typed: it completes at its length, with the terminator, or after a pause', () => {
  const s = session();
  assert.equal(s.key('2'), intent('order-status').slot!.ask, 'menu key 2 is the order intent');
  for (const d of '2468') assert.deepEqual(s.send({ type: 'dtmf', digit: d }), { kind: 'collect', timeoutMs: 4000 });
  assert.match(s.key('0')!, /^Order 2 4 6 8 0 is packed/, 'five keys are a whole order number');

  s.key('2');
  s.key('1');
  s.key('2');
  assert.equal(s.key('#'), intent('order-status').slot!.retry, 'terminated early: too short');
  for (const d of '1111') s.key(d);
  assert.equal(s.key('#'), intent('order-status').slot!.retry, 'four keys: still short');
  s.key('1');
  assert.equal(s.key('#'), def.prompts.fallback, 'the third wrong entry ends the asking');
  assert.equal(s.key('1'), intent('opening-hours').reply, 'keys are menu choices again');
});

test('keys collected without a terminator are taken when the pause times out', () => {
  const s = session();
  s.key('2');
  for (const d of '1111') s.key(d);
  const out = s.send({ type: 'dtmfTimeout' });
  assert.equal(out.kind === 'reply' && out.reply.text, intent('order-status').slot!.retry);
});

test('menu keys, repeat, and unknown keys', () => {
  const s = session();
  assert.equal(s.key('1'), intent('opening-hours').reply);
  assert.equal(s.key('*'), intent('opening-hours').reply, 'star repeats the last reply');
  assert.equal(s.key('7'), def.prompts.fallback);
  assert.equal(s.key('3'), intent('address').reply);
});

test('not understood: reprompt rather than guess, and hand over after repeated failures', () => {
  const s = session();
  assert.equal(s.send({ type: 'unrecognised', reason: 'too-short' }).kind === 'reply' && s.say('yes'), def.prompts.howCanIHelp, 'a success resets the count');
  const texts = [];
  for (let i = 0; i < 3; i++) {
    const out = s.send({ type: 'unrecognised', reason: i === 0 ? 'silence' : 'no-match' });
    assert.equal(out.kind, 'reply');
    if (out.kind === 'reply') texts.push([out.reply.label, out.reply.action?.type]);
  }
  assert.deepEqual(texts, [
    ['not-understood', undefined],
    ['fallback', undefined],
    ['talk-to-person', 'transfer'],
  ]);
});

test('yes and no answer "anything else?"', () => {
  const s = session();
  s.say('what are your opening hours');
  assert.equal(s.say('yes please'), def.prompts.howCanIHelp);
  s.say('what are your opening hours');
  const out = s.send({ type: 'speech', text: 'no thank you', confidence: 1 });
  assert.equal(out.kind === 'reply' && out.reply.text, intent('goodbye').reply);
  assert.equal(out.kind === 'reply' && out.reply.action?.type, 'hangup');
});

test('idle prompts come from the definition, the last one repeating', () => {
  const s = session();
  const idle = (count: number) => {
    const out = s.send({ type: 'idle', count });
    return out.kind === 'reply' ? out.reply.text : null;
  };
  assert.equal(idle(1), def.idle!.prompts[0]);
  assert.equal(idle(2), def.idle!.prompts[0]);
});

test('the grammars hold every phrase, digits for slots, and yes/no after yes/no questions', () => {
  const general = (brain.grammars.get(GENERAL_GRAMMAR) as { jsgf: string }).jsgf;
  for (const i of def.intents) for (const e of i.examples) assert.ok(general.includes(`(${e.toLowerCase().replace(/\{(\w+)\}/, '<slot_$1>')})`), e);
  assert.match(general, /<slot_order_number> = <order_number_5>;/);
  assert.ok(!/\(no thank you\)/.test(general), 'yes and no only after a yes/no question');
  assert.match((brain.grammars.get(YES_NO_GRAMMAR) as { jsgf: string }).jsgf, /\(no thank you\)/);
  const slotGrammar = (brain.grammars.get('slot:order-status') as { jsgf: string }).jsgf;
  assert.match(slotGrammar, /public <utterance> = \(\(<slot_order_number> \| <wrong_order_number>\)\) \| \(my order number is \(<slot_order_number> \| <wrong_order_number>\)\)/);
  assert.ok(!/\(<slot_order_number>\)/.test(general), 'bare digits only while asking for them');

  const g = brain.grammar;
  assert.deepEqual(g.match('it is one two three four five'), { kind: 'intent', intent: intent('order-status'), exact: false, value: '12345' }, 'a number said unasked is for the slot that takes numbers');
  assert.deepEqual(g.match('it is one two three four five', 'slot:order-status'), { kind: 'slotValue', intent: intent('order-status'), value: '12345' });
  assert.deepEqual(g.match('where is order one two', GENERAL_GRAMMAR), { kind: 'intent', intent: intent('order-status'), value: null, exact: true });
  assert.deepEqual(g.match('Opening hours.'), { kind: 'intent', intent: intent('opening-hours'), exact: true });
  assert.deepEqual(g.match('opening hours please'), { kind: 'intent', intent: intent('opening-hours'), exact: false }, 'extra words are tolerated');
});

test('fixed replies: greeting, prompts, slot questions and answers without values', () => {
  const texts = brain.fixedReplies().map((r) => r.text);
  for (const t of [def.greeting as string, def.prompts.fallback, def.idle!.goodbye, def.limits!.wrapUp, intent('order-status').slot!.ask, intent('goodbye').reply]) {
    assert.ok(texts.includes(t), t);
  }
  assert.ok(!texts.some((t) => t.includes('{')), 'templates need a value first');
});
