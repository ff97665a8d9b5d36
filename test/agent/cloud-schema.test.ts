// Cloud agent definitions (kind cascade / realtime): what the shipped examples say, the defaults, and the messages
// a broken definition gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { failureMode, type CascadeDefinition, type RealtimeDefinition } from '../../src/agent/definition/cloud-schema.js';
import { AgentDefinitionError, loadAgentDefinitions, loadDefinitions, parseAgentDefinition, parseDefinition } from '../../src/agent/definition/loader.js';

const CASCADE = readFileSync(join(AGENTS_DIR, 'cascade.yaml'), 'utf8');

const MINIMAL_CASCADE = {
  kind: 'cascade',
  name: 'mini',
  language: 'en-IN',
  systemPrompt: 'You are brief.',
  greeting: 'Hello.',
  stt: { provider: 'deepgram' },
  brain: { provider: 'llm' },
  voice: { provider: 'openai' },
};

function edited(source: string | object, edit: (def: Record<string, any>) => void): string {
  const def = typeof source === 'string' ? parse(source) : structuredClone(source);
  edit(def);
  return stringify(def);
}

function problems(source: string): string[] {
  try {
    parseDefinition(source, 'agents/x.yaml');
  } catch (err) {
    assert.ok(err instanceof AgentDefinitionError, String(err));
    return err.problems;
  }
  assert.fail('expected the definition to be rejected');
}

function inDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'agents-'));
  try {
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the shipped cascade agent: Deepgram, the LLM, ElevenLabs, an order tool, built-ins, the offline fallback', () => {
  const def = loadDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'cascade')!.definition as CascadeDefinition;
  assert.equal(def.kind, 'cascade');
  assert.deepEqual(def.stt, {
    provider: 'deepgram',
    model: 'nova-3',
    endpointingMs: 300,
    utteranceEndMs: 1000,
    smartFormat: true,
    keywords: ['Sharma Electronics', 'Indiranagar'],
    apiKeyEnv: 'DEEPGRAM_API_KEY',
    baseUrlEnv: 'DEEPGRAM_BASE_URL',
  });
  assert.deepEqual(def.brain, { provider: 'llm', temperature: 0.5, maxTokens: 200, baseUrlEnv: 'LLM_BASE_URL', apiKeyEnv: 'LLM_API_KEY', headersFromEnv: {} });
  assert.equal(def.voice.provider, 'elevenlabs');
  assert.deepEqual(
    def.tools.map((t) => (typeof t === 'string' ? t : t.name)),
    ['order_status', 'end_call', 'transfer'],
  );
  const order = def.tools[0];
  assert.ok(typeof order === 'object');
  assert.equal(order.urlEnv, 'ORDER_STATUS_URL');
  assert.deepEqual(order.headersFromEnv, { Authorization: 'ORDER_STATUS_TOKEN' });
  assert.equal(def.fallback, 'front-desk');
  assert.equal(failureMode(def), 'fallback');
});

test('the shipped realtime agent: OpenAI Realtime with server VAD, the same tools and fallback', () => {
  const def = loadDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'openai-realtime')!.definition as RealtimeDefinition;
  assert.equal(def.kind, 'realtime');
  assert.deepEqual(def.realtime, {
    provider: 'openai',
    model: 'gpt-realtime',
    voice: 'marin',
    protocol: 'ga',
    turnDetection: 'server',
    vad: { silenceDurationMs: 500 },
    apiKeyEnv: 'OPENAI_API_KEY',
    baseUrlEnv: 'OPENAI_BASE_URL',
  });
  assert.equal(def.tools.length, 3);
  assert.equal(failureMode(def), 'fallback');
});

test('a minimal cascade definition gets the documented defaults', () => {
  const def = parseDefinition(stringify(MINIMAL_CASCADE), 'agents/mini.yaml') as CascadeDefinition;
  assert.equal(def.stt.apiKeyEnv, 'DEEPGRAM_API_KEY');
  assert.equal(def.brain.model, undefined, 'LLM_MODEL decides');
  assert.equal(def.brain.apiKeyEnv, 'LLM_API_KEY');
  assert.deepEqual(def.voice, { provider: 'openai', voice: 'alloy', model: 'gpt-4o-mini-tts', apiKeyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' });
  assert.deepEqual(def.tools, []);
  assert.deepEqual(def.routing, { numbers: [], customFields: [] });
  assert.equal(failureMode(def), 'transfer', 'without a fallback agent, a failure hands over');
  const local = parseDefinition(edited(MINIMAL_CASCADE, (d) => (d.brain.apiKeyEnv = null)), 'agents/mini.yaml') as CascadeDefinition;
  assert.equal(local.brain.apiKeyEnv, null, 'a local LLM server without a key');
  const offlineVoice = parseDefinition(edited(MINIMAL_CASCADE, (d) => (d.voice = { provider: 'flite' })), 'agents/mini.yaml') as CascadeDefinition;
  assert.deepEqual(offlineVoice.voice, { provider: 'flite', voice: 'slt' });
});

test('a definition without kind is conversational; cloud files are not conversational', () => {
  const front = loadDefinitions(AGENTS_DIR).find((l) => l.definition.name === 'front-desk')!.definition;
  assert.equal(front.kind, 'conversational');
  assert.deepEqual(
    loadAgentDefinitions(AGENTS_DIR).map((l) => l.definition.kind),
    loadAgentDefinitions(AGENTS_DIR).map(() => 'conversational'),
  );
  assert.throws(() => parseAgentDefinition(CASCADE, 'agents/cascade.yaml'), /agents\/cascade\.yaml: kind: expected a conversational agent, got cascade/);
});

test('broken cloud definitions: each problem names the field', () => {
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.kind = 'pipeline'))), ['kind: must be one of conversational, cascade, realtime']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.stt.provider = 'whisper'))), ['stt.provider: must be one of deepgram, sarvam']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.voice = { provider: 'polly' }))), ['voice.provider: must be one of elevenlabs, openai, sarvam, flite, espeak']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => delete d.systemPrompt)), ['systemPrompt: Invalid input: expected string, received undefined']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.voice = { provider: 'elevenlabs' }))), ['voice.voiceId: Invalid input: expected string, received undefined']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.voice = { provider: 'openai', model: 'tts-1', instructions: 'Warm.' }))), ['voice.instructions: is not supported by tts-1 / tts-1-hd']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.stt.utteranceEndMs = 500))), ['stt.utteranceEndMs: must be at least 1000 (Deepgram)']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.brain.temperature = 3))), ['brain.temperature: Too big: expected number to be <=2']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.onFailure = 'fallback'))), ['fallback: is required with onFailure: fallback (name an offline agent, e.g. front-desk)']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.fallback = 'mini'))), ['fallback: must name another agent']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.intents = []))), ['(top level): Unrecognized key: "intents"']);
});

test('keys and URLs are referenced by variable name, never written in the file', () => {
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.brain.apiKey = 'sk-live-123'))), [
    'brain: Unrecognized key: "apiKey" (definitions name the environment variable that holds a key or URL, e.g. apiKeyEnv: OPENAI_API_KEY)',
  ]);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.brain.baseUrl = 'https://api.groq.com/openai/v1'))), [
    'brain: Unrecognized key: "baseUrl" (definitions name the environment variable that holds a key or URL, e.g. baseUrlEnv: LLM_BASE_URL)',
  ]);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.stt.apiKeyEnv = 'dg_0123abcd'))), ['stt.apiKeyEnv: must be the NAME of an environment variable (A-Z, 0-9, _), not its value']);
  assert.deepEqual(problems(edited(MINIMAL_CASCADE, (d) => (d.brain.headersFromEnv = { 'HTTP-Referer': 'https://me.example' }))), [
    'brain.headersFromEnv.HTTP-Referer: must be the NAME of an environment variable (A-Z, 0-9, _), not its value',
  ]);
});

test('tools: HTTP webhook tools and the built-ins, with clear errors', () => {
  const tool = { name: 'crm', description: 'Find the caller', url: 'https://crm.example.com/find' };
  const withTools = (tools: unknown[]) => edited(MINIMAL_CASCADE, (d) => (d.tools = tools));
  const def = parseDefinition(withTools([tool, 'end_call']), 'agents/x.yaml') as CascadeDefinition;
  assert.deepEqual(def.tools, [
    { ...tool, parameters: { type: 'object', properties: {} }, method: 'POST', headers: {}, headersFromEnv: {}, timeoutMs: 5000 },
    'end_call',
  ]);
  assert.deepEqual(problems(withTools(['hangup'])), ['tools[0]: must be end_call or transfer, or an HTTP tool { name, description, url, ... }']);
  assert.deepEqual(problems(withTools([{ ...tool, urlEnv: 'CRM_URL' }])), ['tools[0].url: give exactly one of url and urlEnv']);
  assert.deepEqual(problems(withTools([{ name: 'crm', description: 'x' }])), ['tools[0].url: give exactly one of url and urlEnv']);
  assert.deepEqual(problems(withTools([{ ...tool, name: 'transfer' }])), ['tools[0].name: "transfer" is a built-in tool: list it as "- transfer"']);
  assert.deepEqual(problems(withTools([tool, { ...tool, description: 'again' }])), ['tools[1]: duplicate tool "crm"']);
  assert.deepEqual(problems(withTools(['end_call', 'end_call'])), ['tools[1]: duplicate tool "end_call"']);
  assert.deepEqual(problems(withTools([{ ...tool, headers: { Authorization: 'Bearer abc' } }])), [
    'tools[0].headers.Authorization: looks like a credential: use headersFromEnv: { Authorization: SOME_VARIABLE }',
  ]);
  assert.deepEqual(problems(withTools([{ ...tool, method: 'DELETE' }])), ['tools[0].method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"']);
  assert.deepEqual(problems(withTools([{ ...tool, url: 'crm.example.com/find' }])), ['tools[0].url: must be an absolute http(s):// URL']);
  assert.deepEqual(problems(withTools([{ ...tool, name: 'find customer' }])), ['tools[0].name: must be 1-64 letters, digits, _ or -']);
  assert.deepEqual(problems(withTools([{ ...tool, parameters: { type: 'array' } }])), ['tools[0].parameters: must be a JSON Schema with type: object']);
  assert.deepEqual(problems(withTools([{ ...tool, parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['phone'] } }])), [
    'tools[0].parameters.required: "phone" is not in properties',
  ]);
});

test('realtime definitions: provider settings checked against each other', () => {
  const base = { kind: 'realtime', name: 'rt', language: 'en-IN', systemPrompt: 'Be brief.', realtime: { provider: 'openai' } };
  const def = parseDefinition(stringify(base), 'agents/rt.yaml') as RealtimeDefinition;
  assert.deepEqual(def.realtime, { provider: 'openai', model: 'gpt-realtime', protocol: 'ga', turnDetection: 'server', apiKeyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' });
  assert.equal(def.greeting, undefined, 'without a greeting the agent waits for the caller');
  assert.deepEqual(problems(edited(base, (d) => (d.realtime = { provider: 'openai', turnDetection: 'local', vad: { threshold: 0.5 } }))), [
    'realtime.vad: tunes the server VAD; with turnDetection: local use localHangoverMs',
  ]);
  assert.deepEqual(problems(edited(base, (d) => (d.realtime.localHangoverMs = 400))), ['realtime.localHangoverMs: needs turnDetection: local']);
  assert.deepEqual(problems(edited(base, (d) => (d.realtime.provider = 'gemini'))), ['realtime.provider: must be openai']);
  assert.deepEqual(problems(edited(base, (d) => (d.stt = { provider: 'deepgram' }))), ['(top level): Unrecognized key: "stt"']);
});

test('fallback must name an offline agent of the same directory', () => {
  const cascade = (fallback: string) => edited(MINIMAL_CASCADE, (d) => (d.fallback = fallback));
  const offline = readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8');
  inDir({ 'a.yaml': cascade('front-desk'), 'b.yaml': offline }, (dir) => {
    assert.deepEqual(
      loadDefinitions(dir).map((l) => l.definition.name),
      ['mini', 'front-desk'],
    );
  });
  inDir({ 'a.yaml': cascade('nobody') }, (dir) => assert.throws(() => loadDefinitions(dir), /a\.yaml: fallback: no agent "nobody"/));
  const other = edited(MINIMAL_CASCADE, (d) => (d.name = 'other'));
  inDir({ 'a.yaml': cascade('other'), 'b.yaml': other }, (dir) =>
    assert.throws(() => loadDefinitions(dir), /a\.yaml: fallback: "other" is a cascade agent; the fallback must work offline \(a conversational agent\)/),
  );
});

test('a cloud definition can extend another and change only what differs', () => {
  const variant = stringify({ extends: 'cascade', name: 'cascade-openai-voice', voice: { provider: 'openai', voice: 'coral' }, routing: { customFields: ['cascade-openai-voice'] } });
  inDir({ 'cascade.yaml': CASCADE, 'front-desk.yaml': readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8'), 'v.yaml': variant }, (dir) => {
    const def = loadDefinitions(dir).find((l) => l.definition.name === 'cascade-openai-voice')!.definition as CascadeDefinition;
    assert.equal(def.kind, 'cascade');
    assert.equal(def.voice.provider, 'openai');
    assert.equal(def.tools.length, 3);
  });
  // Switching the provider replaces the parent's provider spec instead of merging into it.
  const other = stringify({ extends: 'cascade', name: 'other-voice', voice: { provider: 'openai' }, routing: { customFields: [] } });
  inDir({ 'cascade.yaml': CASCADE, 'front-desk.yaml': readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8'), 'o.yaml': other }, (dir) => {
    const def = loadDefinitions(dir).find((l) => l.definition.name === 'other-voice')!.definition as CascadeDefinition;
    assert.deepEqual(def.voice, { provider: 'openai', voice: 'alloy', model: 'gpt-4o-mini-tts', apiKeyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL' });
  });
});
