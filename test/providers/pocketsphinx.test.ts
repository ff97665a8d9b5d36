import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DECODERS_PER_WORKER, createPocketSphinxStt, pocketsphinxWorkerPool, workerWasmBound } from '../../src/providers/stt/pocketsphinx.js';
import { createFliteTts } from '../../src/providers/tts/flite.js';
import { ProviderError } from '../../src/providers/errors.js';

const stt = createPocketSphinxStt();
const tts = createFliteTts();
const PHRASES = ['Yes', 'No', 'Talk to an agent', 'Check my balance', 'Repeat that', 'Goodbye', 'Pay my bill', 'Thank you'];
const grammar = stt.compileGrammar({ phrases: PHRASES });

function isCode(code: string) {
  return (e: unknown) => e instanceof ProviderError && e.code === code;
}

async function speak(text: string, voice: string, sampleRate: number): Promise<Int16Array> {
  return (await tts.synthesize(text, { voice, sampleRate })).samples;
}

/** Deterministic uniform white noise (mulberry32). */
function whiteNoise(samples: number, amplitude: number, seed = 1): Int16Array {
  let a = seed;
  return Int16Array.from({ length: samples }, () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.round((u * 2 - 1) * amplitude);
  });
}

test('recognizes every phrase spoken by flite slt at 8 kHz, returning the declared phrase', async () => {
  const g = await grammar;
  const results = await Promise.all(PHRASES.map(async (p) => stt.recognize(await speak(p, 'slt', 8000), 8000, { grammar: g })));
  assert.deepEqual(
    results.map((r) => r.text),
    PHRASES,
  );
  for (const r of results) assert.ok(r.confidence >= stt.minConfidence && r.rejected === undefined);
});

test('recognizes a different voice (rms) at 16 kHz and (awb) at 24 kHz', async () => {
  const g = await grammar;
  for (const [voice, rate] of [
    ['rms', 16000],
    ['awb', 24000],
  ] as const) {
    const phrases = ['Yes', 'No', 'Talk to an agent', 'Pay my bill', 'Thank you'];
    const results = await Promise.all(phrases.map(async (p) => stt.recognize(await speak(p, voice, rate), rate, { grammar: g })));
    assert.deepEqual(
      results.map((r) => r.text),
      phrases,
      voice,
    );
  }
});

test('sentences outside the grammar are rejected, not guessed', async () => {
  const g = await grammar;
  for (const sentence of ['What is the weather like', 'I want to cancel my order', 'Hello there']) {
    const r = await stt.recognize(await speak(sentence, 'slt', 8000), 8000, { grammar: g });
    assert.equal(r.text, '', `${sentence} → ${JSON.stringify(r)}`);
    assert.ok(r.rejected === 'no-match' || r.rejected === 'low-confidence', sentence);
  }
});

test('white noise and silence are rejected', async () => {
  const g = await grammar;
  for (const amplitude of [300, 3000, 20000]) {
    const r = await stt.recognize(whiteNoise(16000, amplitude, amplitude), 8000, { grammar: g });
    assert.equal(r.text, '', `noise ${amplitude} → ${JSON.stringify(r)}`);
    assert.ok(r.rejected);
  }
  assert.deepEqual(await stt.recognize(new Int16Array(16000), 8000, { grammar: g }), { text: '', confidence: 0, rejected: 'silence' });
  assert.deepEqual(await stt.recognize(new Int16Array(160).fill(5000), 8000, { grammar: g }), { text: '', confidence: 0, rejected: 'too-short' });
});

test('a JSGF grammar returns the recognized words', async () => {
  const g = await stt.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar dial;\npublic <cmd> = (call | dial) (home | office | mother);\n' });
  assert.deepEqual(g.phrases, []);
  const r = await stt.recognize(await speak('call office', 'slt', 8000), 8000, { grammar: g });
  assert.equal(r.text, 'call office');
});

test('a JSGF grammar with a fallback: its phrases when confident, else the fallback\'s words, marked as such', async () => {
  const fallback = '#JSGF V1.0;\ngrammar words;\npublic <u> = <w>+;\n<w> = what | is | the | weather | like | call | office | today | a;\n';
  const g = await stt.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar dial;\npublic <cmd> = (call | dial) (home | office | mother);\n', fallback });
  const phrase = await stt.recognize(await speak('call office', 'slt', 8000), 8000, { grammar: g });
  assert.equal(phrase.text, 'call office');
  assert.equal(phrase.fallback, undefined);
  const other = await stt.recognize(await speak('what is the weather like', 'slt', 8000), 8000, { grammar: g });
  assert.equal(other.fallback, true, JSON.stringify(other));
  assert.match(other.text, /weather/);
  assert.ok(other.words!.every((w) => w.confidence > 0 && w.confidence <= 1), JSON.stringify(other.words));
  await assert.rejects(stt.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar g;\npublic <a> = yes;\n', fallback: '#JSGF V1.0;\ngrammar g;\npublic <a> = zzqx;\n' }), isCode('out-of-vocabulary'));
});

test('out-of-vocabulary words fail at compile time, or are skipped when asked', async () => {
  await assert.rejects(
    stt.compileGrammar({ phrases: ['yes', 'press 5', 'zxqwv now'] }),
    (e) =>
      isCode('out-of-vocabulary')(e) &&
      /"5"/.test((e as Error).message) &&
      /"zxqwv"/.test((e as Error).message) &&
      JSON.stringify((e as ProviderError).details) === JSON.stringify({ words: ['5', 'zxqwv'], phrases: ['press 5', 'zxqwv now'] }),
  );
  await assert.rejects(stt.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar g;\npublic <a> = yes | Yes;\n' }), isCode('out-of-vocabulary'));
  const lenient = createPocketSphinxStt({ skipOutOfVocabulary: true });
  const g = await lenient.compileGrammar({ phrases: ['yes', 'press 5', 'no'] });
  assert.deepEqual(g.phrases, ['yes', 'no']);
  assert.deepEqual(g.skipped, [{ phrase: 'press 5', words: ['5'] }]);
});

test('bad input fails with clear errors', async () => {
  const g = await grammar;
  await assert.rejects(stt.compileGrammar({ phrases: [] }), isCode('invalid-input'));
  await assert.rejects(stt.compileGrammar({ phrases: ['?!'] }), isCode('invalid-input'));
  await assert.rejects(stt.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar g;\npublic <a> = (yes | no;\n' }), isCode('invalid-input'));
  const audio = new Int16Array(8000);
  await assert.rejects(stt.recognize(audio, 8000), isCode('invalid-input'));
  const foreign = await createPocketSphinxStt().compileGrammar({ phrases: ['yes'] });
  await assert.rejects(stt.recognize(audio, 8000, { grammar: { ...foreign } }), isCode('invalid-input'));
  await assert.rejects(stt.recognize(audio, 4000, { grammar: g }), isCode('invalid-input'));
  await assert.rejects(stt.recognize(new Int16Array(8000 * 31), 8000, { grammar: g }), isCode('invalid-input'));
});

test('parallel recognitions on the pool of 2 all complete; aborts reject', async () => {
  const g = await grammar;
  const audio = await Promise.all(PHRASES.slice(0, 6).map((p) => speak(p, 'kal', 8000)));
  const ac = new AbortController();
  const aborted = stt.recognize(audio[0]!, 8000, { grammar: g, signal: ac.signal });
  const all = Promise.all(audio.map((a) => stt.recognize(a, 8000, { grammar: g })));
  ac.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  assert.deepEqual(
    (await all).map((r) => r.text),
    PHRASES.slice(0, 6),
  );
  await assert.rejects(stt.recognize(audio[0]!, 8000, { grammar: g, signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('each decoder reports its WebAssembly memory; the shared pool replaces a decoder that grew past the bound', async () => {
  const g = await grammar;
  await stt.recognize(await speak('Goodbye', 'slt', 8000), 8000, { grammar: g });
  const pool = pocketsphinxWorkerPool();
  // Batch decoding (the default) loads one grammar decoder per worker: the bound is one decoder's.
  assert.deepEqual(pool.recyclePolicy, { aboveWasmBytes: workerWasmBound(1) });
  assert.ok(workerWasmBound(1) < workerWasmBound(DEFAULT_DECODERS_PER_WORKER));
  const workers = pool.workers().filter((w) => w.jobs > 0);
  assert.ok(workers.length > 0);
  for (const w of workers) assert.ok((w.wasmBytes ?? 0) >= 32 * 1024 * 1024, `a loaded decoder holds its model: ${w.wasmBytes} bytes`);
});
