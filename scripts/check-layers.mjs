#!/usr/bin/env node
// Imports under src/ may only run down the data path: a folder imports folders of lower layers, never a higher
// one, and never a sibling on its own layer (so `sim`, Exotel played by us, stays independent of `exotel`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bottom first. A folder of src/ not listed here is itself a violation: place it when you add it. */
export const LAYERS = [
  ['clock', 'observability', 'limits'],
  ['audio', 'store', 'config', 'language'],
  ['exotel', 'sim'],
  ['providers'],
  ['conversation'],
  ['agent'],
  ['call'],
  ['fleet'],
  ['http'],
  ['cli'],
];

const IMPORT_RE = /(?:^|[^\w.])(?:import|export)\s[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

/** Every import in `srcDir` that runs up the layers or sideways, as readable lines. */
export function layerViolations(srcDir, layers = LAYERS) {
  const level = new Map(layers.flatMap((names, i) => names.map((n) => [n, i])));
  const folderOf = (file) => relative(srcDir, file).split(sep)[0];
  const problems = [];
  for (const file of sourceFiles(srcDir)) {
    const from = folderOf(file);
    if (!level.has(from)) {
      problems.push(`${relative(srcDir, file)}: folder '${from}' has no layer in scripts/check-layers.mjs`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const target = resolve(dirname(file), spec);
      const rel = relative(srcDir, target);
      if (rel.startsWith('..')) continue; // outside src (agents/, package files)
      const to = rel.split(sep)[0];
      if (to === from) continue;
      const a = level.get(from);
      const b = level.get(to);
      if (b === undefined || b >= a) {
        const why = b === undefined ? `'${to}' has no layer` : b === a ? 'a sibling on the same layer' : 'a higher layer';
        problems.push(`${relative(srcDir, file)} imports ${spec} (${from} -> ${to}: ${why})`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const problems = layerViolations(src);
  if (problems.length) {
    console.error(`imports that run against the data path (${LAYERS.map((l) => l.join('/')).join(' < ')}):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log('layers: every import runs down the data path');
}
