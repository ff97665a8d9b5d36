import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/env.js';
import { DEFAULT_LLM_MODEL, hasDefault, loadProviderConfig } from '../../src/config/providers.js';

const KEY = 'sk-proj-0123456789abcdefSECRET';

function configError(env: Record<string, string>): string {
  try {
    loadProviderConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

test('nothing set: public endpoints, no keys, the default model', () => {
  const c = loadProviderConfig({});
  assert.deepEqual(
    { openai: c.openai, deepgram: c.deepgram, elevenlabs: c.elevenlabs, sarvam: c.sarvam, llm: c.llm },
    {
      openai: { apiKey: undefined, baseUrl: 'https://api.openai.com/v1' },
      deepgram: { apiKey: undefined, baseUrl: 'wss://api.deepgram.com' },
      elevenlabs: { apiKey: undefined, baseUrl: 'https://api.elevenlabs.io' },
      sarvam: { apiKey: undefined, baseUrl: 'https://api.sarvam.ai' },
      llm: { apiKey: undefined, baseUrl: 'https://api.openai.com/v1', model: DEFAULT_LLM_MODEL },
    },
  );
  assert.equal(c.lookup('LLM_MODEL'), DEFAULT_LLM_MODEL);
  assert.equal(c.lookup('DEEPGRAM_API_KEY'), undefined);
  assert.equal(hasDefault('DEEPGRAM_BASE_URL'), true);
  assert.equal(hasDefault('DEEPGRAM_API_KEY'), false);
});

test('the LLM defaults to OpenAI: its base URL and key, unless it has its own endpoint', () => {
  const openai = loadProviderConfig({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: 'https://proxy.example.com/v1/' });
  assert.deepEqual(openai.llm, { apiKey: KEY, baseUrl: 'https://proxy.example.com/v1', model: DEFAULT_LLM_MODEL });
  assert.equal(openai.openai.baseUrl, 'https://proxy.example.com/v1', 'trailing slashes go');
  const groq = loadProviderConfig({ OPENAI_API_KEY: KEY, LLM_BASE_URL: 'https://api.groq.com/openai/v1', LLM_MODEL: 'llama-3.3-70b-versatile' });
  assert.deepEqual(groq.llm, { apiKey: undefined, baseUrl: 'https://api.groq.com/openai/v1', model: 'llama-3.3-70b-versatile' }, 'the OpenAI key never goes to another endpoint');
  const own = loadProviderConfig({ LLM_BASE_URL: 'http://127.0.0.1:8000/v1', LLM_API_KEY: ' local-key ' });
  assert.equal(own.llm.apiKey, 'local-key');
  assert.equal(own.lookup('LLM_API_KEY'), 'local-key');
  const same = loadProviderConfig({ OPENAI_API_KEY: KEY, LLM_BASE_URL: 'https://api.openai.com/v1' });
  assert.equal(same.llm.apiKey, KEY, 'naming the OpenAI endpoint explicitly keeps the OpenAI key');
});

test('lookup: standard variables with their defaults, any other variable as set', () => {
  const c = loadProviderConfig({ CRM_TOKEN: ' Bearer abc ', EMPTY: '  ', DEEPGRAM_API_KEY: 'dg' });
  assert.equal(c.lookup('CRM_TOKEN'), 'Bearer abc');
  assert.equal(c.lookup('EMPTY'), undefined);
  assert.equal(c.lookup('UNSET_VARIABLE'), undefined);
  assert.equal(c.lookup('DEEPGRAM_API_KEY'), 'dg');
  assert.equal(c.lookup('ELEVENLABS_BASE_URL'), 'https://api.elevenlabs.io');
});

test('Deepgram takes ws(s) or http(s) roots; the others http(s) only', () => {
  assert.equal(loadProviderConfig({ DEEPGRAM_BASE_URL: 'ws://127.0.0.1:9999' }).deepgram.baseUrl, 'ws://127.0.0.1:9999');
  assert.equal(loadProviderConfig({ DEEPGRAM_BASE_URL: 'https://api.eu.deepgram.com' }).deepgram.baseUrl, 'https://api.eu.deepgram.com');
  assert.match(configError({ ELEVENLABS_BASE_URL: 'wss://api.elevenlabs.io' }), /^invalid configuration: ELEVENLABS_BASE_URL: must start with https:\/\/ or http:\/\//);
});

test('bad values: one line naming each variable, keys never echoed, URLs masked', () => {
  const message = configError({
    OPENAI_API_KEY: `${KEY} extra`,
    OPENAI_BASE_URL: 'api.openai.com/v1',
    LLM_BASE_URL: `https://user:${KEY}@llm.example.com/v1`,
    DEEPGRAM_BASE_URL: 'ftp://x',
    LLM_MODEL: 'gpt 4o',
  });
  assert.ok(!message.includes('\n'));
  assert.ok(!message.includes(KEY), message);
  assert.match(message, /OPENAI_API_KEY: must not contain spaces or line breaks/);
  assert.match(message, /OPENAI_BASE_URL: must be an absolute URL \(https, http\), got "api\.openai\.com\/v1"/);
  assert.match(message, /DEEPGRAM_BASE_URL: must start with wss:\/\/ or ws:\/\/ or https:\/\/ or http:\/\/, got "ftp:\/\/x\/"/);
  assert.match(message, /LLM_MODEL: must be a model name without spaces/);
  // Valid URL with credentials: accepted, but a fragment is not, and the message masks the password.
  const fragment = configError({ LLM_BASE_URL: `https://user:${KEY}@llm.example.com/v1#x` });
  assert.match(fragment, /LLM_BASE_URL: must not have a #fragment, got "https:\/\/user:\*\*\*@llm\.example\.com\/v1#x"/);
});
