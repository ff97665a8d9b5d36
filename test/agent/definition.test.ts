import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AGENTS_DIR, createBuiltinAgents } from '../../src/agent/assembly/build-catalog.js';
import { conversationSettings } from '../../src/agent/kinds/offline.js';
import { AgentDefinitionError, loadAgentDefinitions, parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { ConfigError } from '../../src/config/env.js';

const FRONT_DESK = readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8');

/** The front-desk definition with `edit` applied to its parsed form, as YAML text. */
function variant(edit: (def: Record<string, any>) => void): string {
  const def = parse(FRONT_DESK);
  edit(def);
  return stringify(def);
}

function problems(source: string, file = 'agents/x.yaml'): string[] {
  try {
    parseAgentDefinition(source, file);
  } catch (err) {
    assert.ok(err instanceof AgentDefinitionError);
    assert.equal(err.file, file);
    assert.ok(err.message.startsWith(`invalid agent definition ${file}: `));
    return err.problems;
  }
  assert.fail('expected the definition to be rejected');
}

test('every shipped definition is valid, and front-desk has what a front desk needs', () => {
  const loaded = loadAgentDefinitions(AGENTS_DIR);
  assert.ok(loaded.length >= 1);
  const def = loaded.find((l) => l.definition.name === 'front-desk')!.definition;
  assert.deepEqual(def.voice, { provider: 'flite', voice: 'slt' });
  assert.equal(def.stt.provider, 'pocketsphinx');
  assert.deepEqual(
    def.intents.map((i) => [i.name, i.action]),
    [
      ['opening-hours', 'reply'],
      ['address', 'reply'],
      ['order-status', 'reply'],
      ['talk-to-person', 'transfer'],
      ['goodbye', 'hangup'],
    ],
  );
  assert.equal(def.dtmfMenu['0'], 'talk-to-person');
  assert.equal(def.transfer?.intent, 'talk-to-person');
});

test('a definition can extend another and change only what differs', () => {
  const loaded = loadAgentDefinitions(AGENTS_DIR);
  const base = loaded.find((l) => l.definition.name === 'front-desk')!.definition;
  const hindi = loaded.find((l) => l.definition.name === 'front-desk-hindi-keypad')!.definition;
  assert.deepEqual(hindi.voice, { provider: 'espeak', voice: 'hi+f3' });
  assert.deepEqual(hindi.routing, { numbers: [], customFields: ['front-desk-hindi-keypad'] }, 'lists replace');
  assert.deepEqual(hindi.dtmfMenu, { ...base.dtmfMenu, '8': 'menu' }, 'objects merge');
  assert.deepEqual(hindi.stt, base.stt, 'what it leaves out comes from the base');
  assert.deepEqual(hindi.turnTaking, base.turnTaking);
  assert.equal(hindi.idle?.afterMs, base.idle?.afterMs);

  const dir = mkdtempSync(join(tmpdir(), 'exovoice-agents-'));
  try {
    writeFileSync(join(dir, 'a.yaml'), 'extends: b\nname: a\n');
    writeFileSync(join(dir, 'b.yaml'), 'extends: a\nname: b\n');
    assert.throws(() => loadAgentDefinitions(dir), /a\.yaml: extends: "b" extends itself \(b -> a -> b\)/);
    writeFileSync(join(dir, 'b.yaml'), 'extends: nobody\nname: b\n');
    assert.throws(() => loadAgentDefinitions(dir), /a\.yaml: extends: no agent "nobody"/);
    assert.throws(() => parseAgentDefinition('extends: front-desk\nname: x\n', 'x.yaml'), /x\.yaml: extends: no agent "front-desk"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defaults fill what a definition leaves out', () => {
  const def = parseAgentDefinition(
    variant((d) => {
      delete d.routing;
      delete d.turnTaking;
      delete d.yes;
      delete d.dtmfMenu;
      d.voice = { provider: 'espeak' };
    }),
    'x.yaml',
  );
  assert.deepEqual(def.routing, { numbers: [], customFields: [] });
  assert.deepEqual(def.turnTaking, {});
  assert.deepEqual(def.yes, ['yes', 'yes please', 'yeah']);
  assert.deepEqual(def.dtmfMenu, {});
  assert.deepEqual(def.voice, { provider: 'espeak', voice: 'hi' });
});

test('JSON definitions are read too', () => {
  const def = parseAgentDefinition(JSON.stringify(parse(FRONT_DESK)), 'agents/x.json');
  assert.equal(def.name, 'front-desk');
});

test('broken definitions are rejected with the file and the field', () => {
  assert.match(problems('name: [unclosed')[0], /^not valid YAML at line 1: /);
  assert.match(problems('{"name": ', 'a.json')[0], /^not valid JSON: /);
  assert.deepEqual(problems(variant((d) => delete d.greeting)), ['greeting: is required']);
  assert.deepEqual(problems(variant((d) => (d.greeting = { text: 'नमस्ते', voice: 'hi' }))), ['greeting: must be text, or { text, voice }']);
  assert.deepEqual(problems(variant((d) => (d.greting = 'Hi'))), ['(top level): Unrecognized key: "greting"']);
  assert.deepEqual(problems(variant((d) => (d.voice = { provider: 'polly', voice: 'Aditi' }))), [
    "voice.provider: Invalid discriminator value. Expected 'flite' | 'espeak'",
  ]);
  assert.deepEqual(problems(variant((d) => (d.intents[2].examples = []))), ['intents[2].examples: needs at least one example phrase']);
  assert.deepEqual(problems(variant((d) => (d.turnTaking.bargeIn.minSpeechMs = 12.5))), ['turnTaking.bargeIn.minSpeechMs: must be a whole number of ms']);
  assert.deepEqual(problems(variant((d) => (d.dtmfMenu['5'] = 'weather'))), ['dtmfMenu.5: "weather" is neither an intent nor "repeat"']);
  assert.deepEqual(problems(variant((d) => (d.dtmfMenu['55'] = 'address'))), ['dtmfMenu.55: must be one DTMF key: 0-9, * or #']);
  assert.deepEqual(problems(variant((d) => (d.intents[0].reply = 'Open {day}.'))), ['intents[0].reply: unknown placeholder {day} (the intent has no slot)']);
  assert.deepEqual(problems(variant((d) => (d.intents[2].answers['123'] = 'Short.'))), ['intents[2].answers.123: has 3 digits; the slot takes 5-5']);
  assert.deepEqual(problems(variant((d) => (d.intents[2].slot.phrases = ['it is my order']))), ['intents[2].slot.phrases[0]: must contain {order_number}']);
  assert.deepEqual(problems(variant((d) => d.intents[1].examples.push('Opening hours!'))), [
    'intents[1].examples[5]: "Opening hours!" is also a phrase of intent "opening-hours"',
  ]);
  assert.deepEqual(problems(variant((d) => (d.transfer.intent = 'goodbye'))), ['transfer.intent: intent "goodbye" does not transfer (action: hangup)']);
  // Several problems are all reported.
  assert.equal(problems(variant((d) => ((d.language = 'English'), (d.idle.maxPrompts = -1)))).length, 2);
});

test('loading a directory: sorted, one name once, a broken file stops it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-agents-'));
  try {
    writeFileSync(join(dir, 'b.yaml'), variant((d) => (d.name = 'bravo')));
    writeFileSync(join(dir, 'a.yml'), variant((d) => ((d.name = 'alpha'), (d.routing = { customFields: ['sales'], numbers: ['080 4749 1899'] }))));
    writeFileSync(join(dir, 'notes.txt'), 'not a definition');
    assert.deepEqual(
      loadAgentDefinitions(dir).map((l) => l.definition.name),
      ['alpha', 'bravo'],
    );

    const catalog = createBuiltinAgents(undefined, { agentsDir: dir });
    assert.equal(catalog.defaultAgent, 'echo', 'no front-desk here: echo answers by default');
    assert.equal(catalog.select({ customParameters: {}, customField: 'sales' }).name, 'alpha');
    assert.equal(catalog.select({ customParameters: {}, to: '+918047491899' }).name, 'alpha');
    assert.equal(catalog.select({ customParameters: {}, to: '08047491899', requested: 'bravo' }).name, 'bravo');
    assert.equal(catalog.select({ customParameters: { agent: 'bravo' }, customField: 'sales' }).name, 'bravo');
    assert.equal(catalog.select({ customParameters: {}, to: 'anonymous' }).name, 'echo');
    assert.throws(() => createBuiltinAgents('nobody', { agentsDir: dir }), (e) => e instanceof ConfigError && /DEFAULT_AGENT: unknown agent "nobody"/.test(e.message));

    writeFileSync(join(dir, 'c.yaml'), variant((d) => (d.name = 'alpha')));
    assert.throws(() => loadAgentDefinitions(dir), /c\.yaml: name: "alpha" is already defined in .*a\.yml/);
    writeFileSync(join(dir, 'c.yaml'), variant((d) => ((d.name = 'charlie'), (d.routing = { customFields: ['sales'] }))));
    assert.throws(() => createBuiltinAgents(undefined, { agentsDir: dir }), /c\.yaml: routing: CustomField "sales" is routed to both "alpha" and "charlie"/);
    writeFileSync(join(dir, 'c.yaml'), variant((d) => (d.intents = 'none')));
    assert.throws(() => createBuiltinAgents(undefined, { agentsDir: dir }), /c\.yaml: intents: Invalid input: expected array/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped agents load with front-desk as the default; DEFAULT_AGENT=echo still selects echo', () => {
  assert.equal(createBuiltinAgents(undefined).defaultAgent, 'front-desk');
  const catalog = createBuiltinAgents('echo');
  assert.equal(catalog.select({ customParameters: {} }).name, 'echo');
  assert.equal(catalog.select({ customParameters: {}, customField: 'front-desk' }).name, 'front-desk');
});

test('turn-taking settings map onto the turn-taking engine', () => {
  const def = parseAgentDefinition(
    variant((d) => {
      d.turnTaking = { endpointSilenceMs: 800, maxTurnMs: null, bargeIn: { enabled: false, minSpeechMs: 300, dtmf: false }, vad: { mode: 3 } };
    }),
    'x.yaml',
  );
  const s = conversationSettings(def);
  assert.deepEqual(s.turnTaking, {
    endpointSilenceMs: 800,
    maxTurnMs: null,
    bargeInMinSpeechMs: 300,
    dtmfBargeIn: false,
    halfDuplex: true,
    idleMs: 8000,
    maxIdlePrompts: 2,
    idleWrapUp: true,
    maxCallMs: 600000,
    maxDurationWrapUp: true,
  });
  assert.deepEqual(s.vad, { mode: 3 });
  assert.equal(s.idleGoodbye, def.idle!.goodbye);
  assert.equal(s.maxDurationWrapUp, def.limits!.wrapUp);
});
