import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/env.js';
import { loadProviderConfig, PROVIDER_VARIABLES } from '../../src/config/providers.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|mjs|js)$/.test(name) ? [path] : [];
  });
}

/** Every variable the code reads: the two schemas, `process.env.X` anywhere in src/, definition defaults, shipped agents. */
function variablesRead(): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of CONFIG_VARIABLES) found.set(name, 'src/config/env.ts');
  for (const name of PROVIDER_VARIABLES) found.set(name, 'src/config/providers.ts');
  for (const file of sources('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) found.set(m[1] ?? m[2]!, file);
    // Agent definitions' variable names default like `apiKeyEnv: envName.default('OPENAI_API_KEY')`.
    for (const m of text.matchAll(/envName(?:\.\w+\([^)]*\))*\.default\(\s*'([A-Z][A-Z0-9_]*)'\s*\)/g)) found.set(m[1]!, file);
  }
  for (const name of readdirSync(AGENTS_DIR)) {
    const text = readFileSync(join(AGENTS_DIR, name), 'utf8');
    for (const m of text.matchAll(/\b\w*Env:\s*([A-Z][A-Z0-9_]*)\b/g)) found.set(m[1]!, `agents/${name}`);
  }
  return found;
}

const example = readFileSync('.env.example', 'utf8');

test('.env.example lists every variable read anywhere, each with a comment', () => {
  const read = variablesRead();
  assert.ok(read.size > 30, 'the scan finds the variables');
  for (const name of ['PORT', 'LOG_FORMAT', 'OPENAI_API_KEY', 'DEEPGRAM_BASE_URL', 'ORDER_STATUS_URL']) assert.ok(read.has(name), name);
  const lines = example.split('\n');
  const missing = [...read].filter(([name]) => !lines.some((l) => l.startsWith(`${name}=`))).map(([name, where]) => `${name} (${where})`);
  assert.deepEqual(missing, [], 'add these to .env.example with their default and a one-line comment');
  for (const [i, line] of lines.entries()) {
    if (!/^[A-Z][A-Z0-9_]*=/.test(line)) continue;
    assert.ok(lines[i - 1]!.startsWith('#') || /^[A-Z][A-Z0-9_]*=/.test(lines[i - 1]!), `${line}: a comment above it (or above its group)`);
  }
});

test('.env.example is itself a valid configuration, and its values are the defaults', () => {
  const env = parseEnv(example);
  const fromExample = loadConfig(env);
  const defaults = loadConfig({});
  assert.deepEqual(fromExample, defaults);
  const providers = loadProviderConfig(env);
  const providerDefaults = loadProviderConfig({});
  assert.deepEqual({ ...providers, lookup: undefined }, { ...providerDefaults, lookup: undefined });
});
