// The shipped agent's order-number grammar through the real recogniser: a number of the slot's length is heard
// digit for digit, one of another length is heard as that length (and so refused), not forced onto five digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { slotGrammarKey } from '../../src/agent/brain/intent-grammar.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { createPocketSphinxStt } from '../../src/providers/stt/pocketsphinx.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const def = parseAgentDefinition(readFileSync(new URL('../../agents/front-desk.yaml', import.meta.url), 'utf8'), 'agents/front-desk.yaml');
const brain = new IntentBrain(def);
const orderIntent = def.intents.find((i) => i.slot)!;
const key = slotGrammarKey(orderIntent);
const stt = createPocketSphinxStt({ minConfidence: 0 });

async function heard(text: string): Promise<string | undefined> {
  const spec = brain.grammars.get(key)!;
  const grammar = await stt.compileGrammar(spec);
  const audio = concat(silence(200, 8000), await synthesize(text, 8000, 'slt'), silence(200, 8000));
  const r = await stt.recognize(audio, 8000, { grammar });
  return r.hypothesis;
}

test('five digits said while the order number is asked for are heard as those five digits', async () => {
  const text = await heard('four seven two one nine');
  assert.equal(text, 'four seven two one nine');
  assert.deepEqual(brain.grammar.match(text!, key), { kind: 'slotValue', intent: orderIntent, value: '47219' });
});

test('a number of another length is heard at its length, so it is no order number', async () => {
  for (const said of ['one two three four five six', 'eight six two', 'four seven', 'one two three four five six seven eight nine']) {
    const text = await heard(said);
    // The length is the point; a digit may be misheard ("two" as "zero") without changing it.
    assert.equal(text?.split(' ').length, said.split(' ').length, `"${said}" heard as "${text}"`);
    assert.deepEqual(brain.grammar.match(text!, key), { kind: 'slotValue', intent: orderIntent, value: null });
  }
});
