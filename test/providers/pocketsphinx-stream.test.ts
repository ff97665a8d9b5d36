import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPocketSphinxPool, createPocketSphinxStt, type CmnMode, type LoopPass } from '../../src/providers/stt/pocketsphinx.js';
import type { RecognitionResult, UtteranceStream } from '../../src/providers/types.js';
import type { WorkerPool } from '../../src/providers/worker-pool.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const PHRASES = ['Yes', 'No', 'Talk to an agent', 'Check my balance', 'Repeat that', 'Goodbye', 'Pay my bill', 'Thank you'];
const pools: WorkerPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));

async function setup(cmn: CmnMode, size: number, decodersPerWorker: number, loopPass: LoopPass = 'finish') {
  const pool = createPocketSphinxPool({ size, decodersPerWorker, cmn, loopPass });
  pools.push(pool);
  const stt = createPocketSphinxStt({ pool, streaming: true });
  const grammar = await stt.compileGrammar({ phrases: PHRASES });
  return { pool, stt, grammar, status };
}

/** Writes `audio` in chunks of the given sizes (cycled). */
function writeChunked(u: UtteranceStream, audio: Int16Array, sizes: number[]): void {
  for (let at = 0, i = 0; at < audio.length; i++) {
    const n = sizes[i % sizes.length]!;
    u.write(audio.subarray(at, at + n));
    at += n;
  }
}

type Status = { decoders: number; held: number; waiting: number; temporaries: number; loopRuns: number };
const status = (pool: WorkerPool) => pool.run<Status>({ op: 'status' });

const speech = (text: string, rate: number, voice: 'slt' | 'rms' | 'awb' = 'slt') =>
  synthesize(text, rate, voice).then((s) => concat(silence(200, rate), s, silence(150, rate)));

for (const cmn of ['batch', 'live'] as const) {
  test(`${cmn}: a streamed utterance gives the whole-utterance result, whatever the chunk sizes`, async () => {
    const { stt, grammar } = await setup(cmn, 1, 2);
    for (const [text, voice] of [
      ['Talk to an agent', 'slt'],
      ['Pay my bill', 'awb'],
      ['What is the weather like', 'rms'],
    ] as const) {
      const audio = await speech(text, 8000, voice);
      const whole = await stt.recognize(audio, 8000, { grammar });
      for (const sizes of [[160], [37, 1234, 5], [audio.length]]) {
        const u = stt.openUtterance!(8000, { grammar });
        writeChunked(u, audio, sizes);
        assert.deepEqual(await u.finish(), whole, `${text} in chunks of ${sizes.join(',')}`);
      }
      if (text !== 'What is the weather like') assert.equal(whole.text, text);
    }
  });
}

test('live: the phone loop streamed alongside gives the confidence the loop pass at the end gives', async () => {
  const atEnd = await setup('live', 1, 2);
  const streamed = await setup('live', 1, 2, 'stream');
  for (const [text, voice] of [
    ['Thank you', 'rms'],
    ['I want to cancel my order', 'slt'],
  ] as const) {
    const audio = await speech(text, 8000, voice);
    const u = streamed.stt.openUtterance!(8000, { grammar: streamed.grammar });
    writeChunked(u, audio, [160, 999]);
    const s = await streamed.status(streamed.pool);
    assert.equal(s.held, 2, 'a grammar decoder and a loop decoder');
    assert.deepEqual(await u.finish(), await atEnd.stt.recognize(audio, 8000, { grammar: atEnd.grammar }), text);
    const after = await streamed.status(streamed.pool);
    assert.equal(after.held, 0);
    // The streamed loop decoder answered: the worker's own loop decoder (for whole utterances) never ran.
    assert.equal(after.loopRuns, 0);
  }
});

test('16 kHz audio streamed gives the whole-utterance result at 16 kHz', async () => {
  const { stt, grammar } = await setup('batch', 1, 1);
  const audio = await speech('Check my balance', 16000, 'rms');
  const whole = await stt.recognize(audio, 16000, { grammar });
  assert.equal(whole.text, 'Check my balance');
  const u = stt.openUtterance!(16000, { grammar });
  writeChunked(u, audio, [320, 77]);
  assert.deepEqual(await u.finish(), whole);
});

test('abort frees the decoder at once: a pool of one decoder serves the next utterance without waiting', async () => {
  const { pool, stt, grammar } = await setup('live', 1, 1);
  const audio = await speech('Goodbye', 8000);
  const first = stt.openUtterance!(8000, { grammar });
  first.write(audio.subarray(0, 4000));
  assert.deepEqual(await status(pool), { decoders: 1, held: 1, waiting: 0, temporaries: 0, loopRuns: 0 });
  first.abort();
  const next = stt.openUtterance!(8000, { grammar });
  next.write(audio);
  // The next utterance holds the only decoder (nothing waits), and finishes on it.
  assert.deepEqual(await status(pool), { decoders: 1, held: 1, waiting: 0, temporaries: 0, loopRuns: 0 });
  assert.equal((await next.finish()).text, 'Goodbye');
  assert.deepEqual(await status(pool), { decoders: 1, held: 0, waiting: 0, temporaries: 0, loopRuns: 1 });
  assert.equal(pool.stats().pinned, 0);
  first.write(audio); // ignored after abort
  await assert.rejects(first.finish(), /already finished or aborted/);
});

test("a call's utterances stay on one worker; other calls spread over the workers", async () => {
  const { pool, stt, grammar } = await setup('batch', 2, 2);
  const callA = {};
  const callB = {};
  const a1 = stt.openUtterance!(8000, { grammar, affinity: callA });
  const a2 = stt.openUtterance!(8000, { grammar, affinity: callA });
  assert.deepEqual(pool.workers().map((w) => w.pins), [2]);
  const b = stt.openUtterance!(8000, { grammar, affinity: callB });
  assert.deepEqual(pool.workers().map((w) => w.pins).sort(), [1, 2]);
  const audio = await speech('Repeat that', 8000);
  for (const u of [a1, a2, b]) u.write(audio);
  const results = await Promise.all([a1, a2, b].map((u) => u.finish()));
  assert.deepEqual(
    results.map((r) => r.text),
    ['Repeat that', 'Repeat that', 'Repeat that'],
  );
  assert.deepEqual(pool.workers().map((w) => w.pins), [0, 0]);
});

test('more open utterances than decoders: they wait with their audio, none is lost', async () => {
  const { pool, stt, grammar } = await setup('live', 1, 2);
  const texts = ['Yes', 'Talk to an agent', 'Check my balance', 'Goodbye', 'Pay my bill', 'Thank you'];
  const audio = await Promise.all(texts.map((t) => speech(t, 8000)));
  const whole: RecognitionResult[] = [];
  for (const a of audio) whole.push(await stt.recognize(a, 8000, { grammar }));
  const streams = texts.map(() => stt.openUtterance!(8000, { grammar }));
  // Interleaved 20 ms frames, as concurrent callers send them.
  for (let at = 0; at < Math.max(...audio.map((a) => a.length)); at += 160) {
    streams.forEach((u, i) => u.write(audio[i]!.subarray(at, at + 160)));
  }
  const s = await status(pool);
  assert.deepEqual([s.decoders, s.held, s.waiting], [2, 2, 4]);
  // Finished in reverse: the last ones still wait for a decoder and take a temporary one rather than wait.
  const results = await Promise.all([...streams].reverse().map((u) => u.finish()));
  assert.deepEqual(results.reverse(), whole);
  const done = await status(pool);
  assert.deepEqual([done.held, done.waiting], [0, 0]);
});

test('streaming is offered with live normalization, or when asked for', async () => {
  const batch = await setup('batch', 1, 1);
  assert.equal(createPocketSphinxStt({ pool: batch.pool }).openUtterance, undefined);
  assert.equal(typeof createPocketSphinxStt({ pool: batch.pool, streaming: true }).openUtterance, 'function');
});

test('streamed utterances are screened like whole ones: silence, too short, too long', async () => {
  const { stt, grammar } = await setup('batch', 1, 1);
  const quiet = stt.openUtterance!(8000, { grammar });
  quiet.write(new Int16Array(16000));
  assert.deepEqual(await quiet.finish(), { text: '', confidence: 0, rejected: 'silence' });
  const short = stt.openUtterance!(8000, { grammar });
  short.write(new Int16Array(160).fill(5000));
  assert.deepEqual(await short.finish(), { text: '', confidence: 0, rejected: 'too-short' });
  const long = stt.openUtterance!(8000, { grammar });
  for (let i = 0; i < 32; i++) long.write(new Int16Array(8000).fill(3000));
  await assert.rejects(long.finish(), /the limit is 30000/);
  assert.throws(() => stt.openUtterance!(4000, { grammar }), /sampleRate 4000/);
  assert.throws(() => stt.openUtterance!(8000, {}), /grammar compiled by this provider/);
});
