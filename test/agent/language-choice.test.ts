// Language choice in definitions: `languages` (the agent of each language), `languageMenu` (keys that switch),
// `detectLanguage` (cascades), checked when loading; the brains turn a menu key into a switch, except while an
// order number is being typed; a cloud agent without its keys may stand in as its fallback; the model reads digits
// said aloud as digits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENTS_DIR, createBuiltinAgents } from '../../src/agent/assembly/build-catalog.js';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { LlmBrain, historyMessages } from '../../src/agent/brain/llm-brain.js';
import { loadAgentDefinitions, loadDefinitions, parseDefinition } from '../../src/agent/definition/loader.js';
import { LanguageSwitchingAgent } from '../../src/agent/kinds/language-switch.js';
import type { BrainOutput } from '../../src/conversation/brain.js';
import type { CallControl } from '../../src/conversation/call-contract.js';
import { OpenAICompatibleLanguageModel } from '../../src/providers/llm/openai-compatible.js';

const signal = new AbortController().signal;
const hindi = loadAgentDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'front-desk-hindi-keypad')!.definition;

const OFFLINE = `
name: a
language: hi-IN
voice: { provider: espeak, voice: hi }
stt: { provider: pocketsphinx }
greeting: नमस्ते।
prompts: { fallback: x, notUnderstood: x, apology: x, howCanIHelp: x }
dtmfMenu: { "1": hello }
intents: [{ name: hello, examples: [hello], reply: Hi. }]
`;

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'language-choice-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a language menu switches to a language the definition lists, on keys of its own', () => {
  const ok = parseDefinition(`${OFFLINE}languages: { en-IN: b }\nlanguageMenu: { "9": en-IN }\n`, 'a.yaml');
  assert.deepEqual(ok.kind === 'conversational' && [ok.languages, ok.languageMenu], [{ 'en-IN': ['b'] }, { '9': 'en-IN' }]);
  assert.throws(() => parseDefinition(`${OFFLINE}languageMenu: { "9": ta-IN }\n`, 'a.yaml'), /languageMenu\.9: "ta-IN" is not one of languages \(none\)/);
  assert.throws(() => parseDefinition(`${OFFLINE}languages: { en-IN: b }\nlanguageMenu: { "1": en-IN }\n`, 'a.yaml'), /languageMenu\.1: is also dtmfMenu's key for "hello"/);
  assert.throws(() => parseDefinition(`${OFFLINE}languages: { hi-IN: b }\n`, 'a.yaml'), /languages\.hi-IN: is the agent's own language/);
  assert.throws(() => parseDefinition(`${OFFLINE}languages: { en-IN: a }\n`, 'a.yaml'), /languages\.en-IN: must name other agents/);
  assert.throws(() => parseDefinition(`${OFFLINE}languages: { en-IN: B }\n`, 'a.yaml'), /languages\.en-IN\[0\]: must be lowercase/);
  withDir({ 'a.yaml': `${OFFLINE}languages: { en-IN: [a2, nobody] }\n`, 'a2.yaml': OFFLINE.replace('name: a', 'name: a2') }, (dir) => {
    assert.throws(() => loadDefinitions(dir), /a\.yaml: languages\.en-IN: no agent "nobody"/);
  });
});

test('the keypad brain switches on a menu key, but a 9 typed into an order number is a digit', () => {
  const s = new IntentBrain(hindi).startSession();
  s.greeting();
  const key = (digit: string) => s.respond({ type: 'dtmf', digit }, [], signal) as BrainOutput;
  assert.deepEqual(key('9'), { kind: 'reply', reply: { text: '', label: 'language', switchLanguage: 'en-IN' } });
  assert.equal(key('2').kind, 'reply', 'asks for the order number');
  for (const d of '9876') assert.equal(key(d).kind, 'collect');
  const answer = key('5');
  assert.ok(answer.kind === 'reply' && answer.reply.text.includes('9 8 7 6 5') && answer.reply.switchLanguage === undefined);
});

test('the LLM brain switches on a menu key pressed first; later keys are collected as typed input', () => {
  const llm = new OpenAICompatibleLanguageModel({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused', model: 'm' });
  const brain = new LlmBrain({
    llm,
    systemPrompt: 's',
    greeting: 'g',
    prompts: { goodbye: 'g', transfer: 't', notUnderstood: 'n', filler: 'f', idle: ['i'] },
    firstTokenTimeoutMs: 1000,
    toolTimeoutMs: 1000,
    fillerAfterMs: 1000,
    maxHistory: 10,
    languageMenu: { '9': 'en-IN' },
  });
  const s = brain.startSession({ call: {} as CallControl });
  const key = (digit: string) => s.respond({ type: 'dtmf', digit }, [], signal) as BrainOutput;
  assert.deepEqual(key('9'), { kind: 'reply', reply: { text: '', label: 'language', switchLanguage: 'en-IN' } });
  assert.equal(key('4').kind, 'collect');
  assert.equal(key('9').kind, 'collect', 'not first: part of what is being typed');
});

const CASCADE = `
kind: cascade
name: cloud
language: hi-IN
systemPrompt: s
greeting: g
stt: { provider: deepgram }
brain: { provider: llm }
voice: { provider: espeak, voice: hi }
fallback: a
withoutKeys: fallback
routing: { customFields: [cloud] }
`;

test('without its keys a cloud agent with withoutKeys: fallback is its fallback agent under its name and routes, with a warning', () => {
  withDir({ 'a.yaml': `${OFFLINE}languages: { en-IN: b }\nlanguageMenu: { "9": en-IN }\n`, 'b.yaml': OFFLINE.replace('name: a', 'name: b').replace('hi-IN', 'en-IN'), 'cloud.yaml': CASCADE }, (dir) => {
    const warnings: string[] = [];
    const catalog = createBuiltinAgents('cloud', { env: {}, warn: (m) => warnings.push(m), agentsDir: dir });
    const agent = catalog.get('cloud');
    assert.ok(agent instanceof LanguageSwitchingAgent && agent.name === 'a' && agent === catalog.get('a'), 'the fallback, language switch and all');
    assert.equal(catalog.defaultAgent, 'cloud', 'DEFAULT_AGENT may name it');
    assert.equal(catalog.select({ customField: 'cloud', customParameters: {} }), agent);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^agent "cloud" \(.*cloud\.yaml\) runs offline as "a": DEEPGRAM_API_KEY, LLM_API_KEY \(or OPENAI_API_KEY\) are not set$/);
  });
  assert.throws(() => parseDefinition(CASCADE.replace('fallback: a\n', ''), 'cloud.yaml'), /withoutKeys: fallback needs a fallback agent/);
  assert.throws(() => parseDefinition(`${CASCADE}detectLanguage: [en-IN]\n`, 'cloud.yaml'), /detectLanguage\[0\]: "en-IN" is not one of languages/);
});

test('the model reads digits the caller said one by one as the number; the keypad as keys', () => {
  assert.deepEqual(
    historyMessages(
      [
        { role: 'agent', text: 'अपना ऑर्डर नंबर बताइए।' },
        { role: 'caller', text: 'चार सात डबल दो नौ' },
        { role: 'caller', text: '[DTMF] 9' },
      ],
      10,
    ),
    [
      { role: 'assistant', content: 'अपना ऑर्डर नंबर बताइए।' },
      { role: 'user', content: '47229' },
      { role: 'user', content: '(keypad: 9)' },
    ],
  );
});
