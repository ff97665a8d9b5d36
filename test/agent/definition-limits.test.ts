import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENTS_DIR } from '../../src/agent/assembly/build-catalog.js';
import { AgentDefinitionError, DEFINITION_LIMITS, loadDefinitions, parseDefinition } from '../../src/agent/definition/loader.js';

const FRONT_DESK = readFileSync(join(AGENTS_DIR, 'front-desk.yaml'), 'utf8');

function rejection(fn: () => unknown): AgentDefinitionError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AgentDefinitionError, String(err));
    return err;
  }
  assert.fail('expected the definition to be rejected');
}

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-agents-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a definition file over 256 KB stops loading with a message naming the file', () => {
  assert.equal(DEFINITION_LIMITS.maxBytes, 256 * 1024);
  const padded = `${FRONT_DESK}\n# ${'x'.repeat(DEFINITION_LIMITS.maxBytes)}\n`;
  withDir({ 'big.yaml': padded }, (dir) => {
    const err = rejection(() => loadDefinitions(dir));
    assert.match(err.file, /big\.yaml$/);
    assert.match(err.message, /big\.yaml: .*more than the 262144 (bytes )?allowed/);
  });
  // The same text handed over directly is refused too.
  assert.match(rejection(() => parseDefinition(padded, 'agents/big.yaml')).message, /larger than 262144 bytes/);
});

test('a file that cannot be read is a definition error, not a crash', () => {
  withDir({}, (dir) => {
    mkdirSync(join(dir, 'folder.yaml'));
    const err = rejection(() => loadDefinitions(dir));
    assert.match(err.message, /folder\.yaml: not a regular file/);
  });
});

test('JSON and YAML nested past the limit name the path; YAML alias bombs are refused', () => {
  let deep: unknown = 'leaf';
  for (let i = 0; i <= DEFINITION_LIMITS.maxDepth; i++) deep = { k: deep };
  const json = rejection(() => parseDefinition(JSON.stringify({ name: 'deep', extra: deep }), 'agents/deep.json'));
  assert.match(json.problems[0]!, /^extra(\.k)+: nested deeper than 32$/);
  const yaml = rejection(() => parseDefinition(`name: deep\nextra: ${JSON.stringify(deep)}\n`, 'agents/deep.yaml'));
  assert.match(yaml.problems[0]!, /^extra(\.k)+: nested deeper than 32$/);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  const bombErr = rejection(() => parseDefinition(bomb, 'agents/bomb.yaml'));
  assert.match(bombErr.message, /not valid YAML/);
});

test('__proto__ in a definition is dropped, not merged through extends', () => {
  const child = `extends: front-desk\nname: child\n__proto__:\n  polluted: yes\nconstructor:\n  prototype:\n    polluted: yes\nprototype:\n  polluted: yes\n`;
  withDir({ 'front-desk.yaml': FRONT_DESK, 'child.yaml': child }, (dir) => {
    const loaded = loadDefinitions(dir);
    assert.deepEqual(loaded.map((l) => l.definition.name).sort(), ['child', 'front-desk']);
  });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
