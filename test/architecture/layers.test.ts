import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
// @ts-expect-error: a plain ESM script, no type declarations
import { layerViolations } from '../../scripts/check-layers.mjs';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('every import in src/ runs down the data path', () => {
  assert.deepEqual(layerViolations(SRC), []);
});

test('an import up the layers, a sibling import and an unplaced folder are each reported', () => {
  const dir = tree({
    'exotel/codec.ts': "import { x } from '../call/session.js';\nexport const y = x;\n",
    'call/session.ts': "import { MediaPacer } from './media-pacer.js';\nimport { a } from '../audio/pcm.js';\nexport const x = 1;\n",
    'sim/dial.ts': "import type { T } from '../exotel/codec.js';\n",
    'audio/pcm.ts': 'export const a = 1;\n',
    'misc/util.ts': 'export {};\n',
    'conversation/lazy.ts': "export const load = () => import('../agent/thing.js');\n",
  });
  try {
    const problems: string[] = layerViolations(dir);
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems.join('\n'), /exotel\/codec\.ts imports \.\.\/call\/session\.js \(exotel -> call: a higher layer\)/);
    assert.match(problems.join('\n'), /sim\/dial\.ts .*a sibling on the same layer/);
    assert.match(problems.join('\n'), /misc\/util\.ts: folder 'misc' has no layer/);
    assert.match(problems.join('\n'), /conversation\/lazy\.ts imports \.\.\/agent\/thing\.js/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
