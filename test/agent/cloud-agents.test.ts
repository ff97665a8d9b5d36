// Which cloud agents start: skipped with a warning when a key is missing (start-up fails if DEFAULT_AGENT names
// one), created when the keys are there; tools whose URL variable is unset are left out. Keys never appear in
// warnings or errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AGENTS_DIR, createBuiltinAgents } from '../../src/agent/assembly/build-catalog.js';
import { DefinitionEnv, createLanguageModel, createStreamingStt, missingVariables, variableRefs } from '../../src/agent/assembly/cloud-providers.js';
import type { CascadeDefinition } from '../../src/agent/definition/cloud-schema.js';
import { parseDefinition } from '../../src/agent/definition/loader.js';
import { ConfigError } from '../../src/config/env.js';
import { loadProviderConfig } from '../../src/config/providers.js';
import { startFakeDeepgram } from '../fakes/deepgram.js';
import { FakeOpenAIChat } from '../fakes/openai-chat.js';

const OPENAI_KEY = 'sk-test-openai-0123456789';
const ALL_KEYS = { OPENAI_API_KEY: OPENAI_KEY, DEEPGRAM_API_KEY: 'dg-test-0123456789', ELEVENLABS_API_KEY: 'el-test-0123456789', SARVAM_API_KEY: 'sarvam-test-0123456789' };
const CASCADE = readFileSync(join(AGENTS_DIR, 'cascade.yaml'), 'utf8');

function build(env: Record<string, string>, defaultAgent?: string, agentsDir = AGENTS_DIR) {
  const warnings: string[] = [];
  const catalog = createBuiltinAgents(defaultAgent, { env, warn: (m) => warnings.push(m), agentsDir });
  return { catalog, warnings };
}

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-agents-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without keys the cloud agents are skipped with a warning naming the variables, and their routes are not taken', () => {
  const { catalog, warnings } = build({});
  assert.deepEqual(catalog.names().sort(), ['echo', 'front-desk', 'front-desk-hindi', 'front-desk-hindi-keypad', 'front-desk-tamil']);
  assert.deepEqual(warnings, [
    'agent "cascade" (agents/cascade.yaml) skipped: DEEPGRAM_API_KEY, LLM_API_KEY (or OPENAI_API_KEY), ELEVENLABS_API_KEY are not set',
    'agent "front-desk-hindi" (agents/front-desk-hindi.yaml) runs offline as "front-desk-hindi-keypad": SARVAM_API_KEY, LLM_API_KEY (or OPENAI_API_KEY) are not set',
    'agent "front-desk-tamil" (agents/front-desk-tamil.yaml) runs offline as "front-desk": SARVAM_API_KEY, LLM_API_KEY (or OPENAI_API_KEY) are not set',
    'agent "openai-realtime" (agents/openai-realtime.yaml) skipped: OPENAI_API_KEY is not set',
  ]);
  assert.equal(catalog.get('front-desk-hindi'), catalog.get('front-desk-hindi-keypad'), 'the Hindi desk without keys is the Hindi keypad desk');
  assert.equal(catalog.select({ customField: 'front-desk-tamil', customParameters: {} }), catalog.get('front-desk'));
  assert.equal(catalog.defaultAgent, 'front-desk');
  assert.equal(catalog.select({ customField: 'cascade', customParameters: {} }).name, 'front-desk', 'the route went with the agent');
  assert.equal(catalog.select({ requested: 'openai-realtime', customParameters: {} }).name, 'front-desk');
});

test('DEFAULT_AGENT naming a cloud agent whose keys are missing stops start-up with the variables named', () => {
  assert.throws(
    () => build({ OPENAI_API_KEY: OPENAI_KEY }, 'cascade'),
    (e) => e instanceof ConfigError && e.message === 'invalid configuration: DEFAULT_AGENT: agent "cascade" (agents/cascade.yaml) cannot start: DEEPGRAM_API_KEY, ELEVENLABS_API_KEY are not set',
  );
  assert.throws(() => build({}, 'openai-realtime'), /DEFAULT_AGENT: agent "openai-realtime" \(agents\/openai-realtime\.yaml\) cannot start: OPENAI_API_KEY is not set/);
  // A separate LLM endpoint does not get the OpenAI key, so it needs its own.
  assert.throws(
    () => build({ ...ALL_KEYS, LLM_BASE_URL: 'https://api.groq.com/openai/v1' }, 'cascade'),
    /cannot start: LLM_API_KEY is not set$/,
  );
});

test('with OPENAI_API_KEY the Realtime agent starts (and is selectable as DEFAULT_AGENT); its order tool waits for ORDER_STATUS_URL', () => {
  const { catalog, warnings } = build({ OPENAI_API_KEY: OPENAI_KEY }, 'openai-realtime');
  assert.ok(catalog.names().includes('openai-realtime'));
  assert.equal(catalog.defaultAgent, 'openai-realtime');
  assert.equal(catalog.select({ customField: 'openai-realtime', customParameters: {} }).name, 'openai-realtime');
  assert.equal(typeof (catalog.get('openai-realtime') as { prepare?: unknown }).prepare, 'function', 'prepared at start-up like the others');
  assert.deepEqual(
    warnings.filter((w) => w.includes('openai-realtime')),
    ['agent "openai-realtime" (agents/openai-realtime.yaml): tool order_status left out: ORDER_STATUS_URL is not set'],
  );
  const withUrl = build({ OPENAI_API_KEY: OPENAI_KEY, ORDER_STATUS_URL: 'https://orders.example.com/status' });
  assert.deepEqual(
    withUrl.warnings.filter((w) => w.includes('openai-realtime')),
    ['agent "openai-realtime" (agents/openai-realtime.yaml): tool order_status is sent without Authorization: ORDER_STATUS_TOKEN is not set'],
  );
  for (const w of [...warnings, ...withUrl.warnings]) assert.ok(!w.includes(OPENAI_KEY));
});

test('with every key the cascade agent starts too', () => {
  const { catalog, warnings } = build({ ...ALL_KEYS, ORDER_STATUS_URL: 'https://orders.example.com/status', ORDER_STATUS_TOKEN: 'Bearer t' }, 'cascade');
  assert.deepEqual(catalog.names().sort(), ['cascade', 'echo', 'front-desk', 'front-desk-hindi', 'front-desk-hindi-keypad', 'front-desk-tamil', 'openai-realtime']);
  assert.equal(catalog.defaultAgent, 'cascade');
  assert.deepEqual(warnings, []);
});

test('a variable a definition names for a URL is checked like the standard ones, naming the file and field', () => {
  const custom = stringify({ ...parse(CASCADE), brain: { provider: 'llm', baseUrlEnv: 'GROQ_BASE_URL', apiKeyEnv: 'GROQ_API_KEY', model: 'llama-3.3-70b-versatile' } });
  const frontDesk = readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8');
  withDir({ 'cascade.yaml': custom, 'front-desk.yaml': frontDesk }, (dir) => {
    const missing = build(ALL_KEYS, undefined, dir);
    assert.match(missing.warnings[0], /agent "cascade" \(.*cascade\.yaml\) skipped: GROQ_API_KEY, GROQ_BASE_URL are not set/);
    assert.throws(
      () => build({ ...ALL_KEYS, GROQ_BASE_URL: 'api.groq.com/openai/v1', GROQ_API_KEY: 'gsk_secret_123456' }, undefined, dir),
      (e) => e instanceof ConfigError && /GROQ_BASE_URL \(brain\.baseUrlEnv of .*cascade\.yaml\): must be an absolute URL/.test(e.message) && !e.message.includes('gsk_secret'),
    );
    const ok = build({ ...ALL_KEYS, GROQ_BASE_URL: 'https://api.groq.com/openai/v1', GROQ_API_KEY: 'gsk_secret_123456' }, 'cascade', dir);
    assert.equal(ok.catalog.defaultAgent, 'cascade');
  });
  assert.throws(() => build({ OPENAI_BASE_URL: 'not a url' }), /invalid configuration: OPENAI_BASE_URL: must be an absolute URL/);
});

test('the variables a definition needs: keys and endpoints are required, tool variables are not', () => {
  const def = parseDefinition(CASCADE, 'agents/cascade.yaml') as CascadeDefinition;
  assert.deepEqual(
    variableRefs(def).map((r) => `${r.field}=${r.name}${r.required ? '' : '?'}`),
    [
      'stt.apiKeyEnv=DEEPGRAM_API_KEY',
      'stt.baseUrlEnv=DEEPGRAM_BASE_URL',
      'brain.apiKeyEnv=LLM_API_KEY',
      'brain.baseUrlEnv=LLM_BASE_URL',
      'voice.apiKeyEnv=ELEVENLABS_API_KEY',
      'voice.baseUrlEnv=ELEVENLABS_BASE_URL',
      'tools[0].urlEnv=ORDER_STATUS_URL?',
      'tools[0].headersFromEnv.Authorization=ORDER_STATUS_TOKEN?',
    ],
  );
  assert.deepEqual(missingVariables(def, loadProviderConfig({ OPENAI_API_KEY: 'k' })), ['DEEPGRAM_API_KEY', 'ELEVENLABS_API_KEY'], 'LLM_API_KEY falls back on OPENAI_API_KEY');
  const offline = parseDefinition(stringify({ ...parse(CASCADE), voice: { provider: 'flite' }, brain: { provider: 'llm', apiKeyEnv: null } }), 'agents/x.yaml') as CascadeDefinition;
  assert.deepEqual(missingVariables(offline, loadProviderConfig({})), ['DEEPGRAM_API_KEY'], 'an offline voice and a keyless LLM need no keys');
});

test('an Azure deployment: the whole chat URL from LLM_BASE_URL, the key in api-key', async () => {
  const chat = new FakeOpenAIChat({ script: () => ({ text: ['Namaste.'] }) });
  const server = await chat.start();
  try {
    const url = `${server.origin}/openai/deployments/gpt-4o-mini-prod/chat/completions?api-version=2024-10-21`;
    const def = parseDefinition(stringify({ ...parse(CASCADE), brain: { provider: 'llm', apiKeyHeader: 'api-key', model: 'gpt-4o-mini-prod' } }), 'agents/azure.yaml') as CascadeDefinition;
    const llm = createLanguageModel(def.brain, new DefinitionEnv(loadProviderConfig({ LLM_BASE_URL: url, LLM_API_KEY: chat.apiKey }), 'agents/azure.yaml'));
    let text = '';
    for await (const d of llm.chat({ messages: [{ role: 'user', content: 'Hello' }] })) if (d.type === 'text') text += d.text;
    assert.equal(text, 'Namaste.');
    const request = chat.requests[0];
    assert.equal(request.path, '/openai/deployments/gpt-4o-mini-prod/chat/completions');
    assert.equal(request.query['api-version'], '2024-10-21');
    assert.equal(request.headers['api-key'], chat.apiKey);
    assert.equal(request.headers.authorization, undefined);
  } finally {
    await server.close();
  }
});

test('brain.maxTokensField picks the request field per endpoint (max_completion_tokens for an Azure reasoning deployment)', async () => {
  const chat = new FakeOpenAIChat({ script: () => ({ text: ['Ok.'] }) });
  const server = await chat.start();
  try {
    const url = `${server.origin}/openai/deployments/o4-mini/chat/completions?api-version=2024-10-21`;
    for (const [field, other] of [
      [undefined, 'max_completion_tokens'],
      ['max_completion_tokens', 'max_tokens'],
    ] as const) {
      const brain = { provider: 'llm', apiKeyHeader: 'api-key', ...(field ? { maxTokensField: field } : {}) };
      const def = parseDefinition(stringify({ ...parse(CASCADE), brain }), 'agents/azure.yaml') as CascadeDefinition;
      const llm = createLanguageModel(def.brain, new DefinitionEnv(loadProviderConfig({ LLM_BASE_URL: url, LLM_API_KEY: chat.apiKey }), 'agents/azure.yaml'));
      for await (const _ of llm.chat({ messages: [{ role: 'user', content: 'Hi' }], maxTokens: 50 }));
      const body = chat.requests.at(-1)!.body;
      assert.equal(body[field ?? 'max_tokens'], 50, 'a non-OpenAI host defaults to max_tokens');
      assert.equal(other in body, false);
    }
    assert.throws(() => parseDefinition(stringify({ ...parse(CASCADE), brain: { provider: 'llm', maxTokensField: 'max_output_tokens' } }), 'agents/bad.yaml'));
  } finally {
    await server.close();
  }
});

test('stt.language overrides the agent language for recognition only (Deepgram multi for Hindi-English)', async () => {
  const deepgram = await startFakeDeepgram();
  try {
    const def = parseDefinition(stringify({ ...parse(CASCADE), stt: { provider: 'deepgram', language: 'multi' } }), 'agents/multi.yaml') as CascadeDefinition;
    const stt = createStreamingStt(def.stt, new DefinitionEnv(loadProviderConfig({ DEEPGRAM_API_KEY: 'test-key', DEEPGRAM_BASE_URL: deepgram.baseUrl }), 'agents/multi.yaml'));
    const stream = await stt.open({ sampleRate: 8000, language: 'en-IN', onEvent: () => {} });
    await stream.close();
    assert.equal(deepgram.attempts[0].query.get('language'), 'multi');
    assert.equal(deepgram.attempts[0].query.get('model'), 'nova-3');
  } finally {
    await deepgram.close();
  }
});
