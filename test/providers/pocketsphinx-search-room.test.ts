// A batch decoder worker that builds the front desk's largest grammar (the order read-back) stays within its bound:
// it is not replaced at every read-back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { createPocketSphinxPool, createPocketSphinxStt, workerWasmBound } from '../../src/providers/stt/pocketsphinx.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

test("the front desk's grammars, read-back included, fit a batch worker's WebAssembly bound", async () => {
  const pool = createPocketSphinxPool({ size: 1 });
  after(() => pool.close());
  const stt = createPocketSphinxStt({ pool, minConfidence: 0 });
  const brain = new IntentBrain(parseAgentDefinition(readFileSync('agents/front-desk.yaml', 'utf8'), 'front-desk.yaml'));
  const keys = [...brain.grammars.keys()];
  assert.ok(keys.some((k) => k.startsWith('confirm:')), `no read-back grammar among ${keys.join(', ')}`);
  const audio = concat(silence(200, 8000), await synthesize('yes that is right', 8000, 'rms'), silence(150, 8000));
  for (let round = 0; round < 2; round++) {
    for (const spec of brain.grammars.values()) await stt.recognize(audio, 8000, { grammar: await stt.compileGrammar(spec) });
  }
  const [worker] = pool.workers();
  assert.equal(pool.recycled()['wasm-memory'], 0, `the worker was replaced for outgrowing ${workerWasmBound(1)} bytes of WebAssembly memory`);
  assert.ok((worker?.wasmBytes ?? 0) > workerWasmBound(1) / 2, `the read-back's search is built: ${worker?.wasmBytes} bytes`);
});
