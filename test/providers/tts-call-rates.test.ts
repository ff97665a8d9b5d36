// The offline voices' audio reaches the main thread already at the call's rate: the engine's worker converts it
// from the voice's native rate, with the project's resampler, and one synthesis serves several rates.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { resample } from '../../src/audio/resample-buffer.js';
import { ProviderError } from '../../src/providers/errors.js';
import { PooledTextToSpeech } from '../../src/providers/tts/pooled-tts.js';
import { createFliteTts } from '../../src/providers/tts/flite.js';
import { WorkerPool } from '../../src/providers/worker-pool.js';

const NATIVE = 11025;
const tonePool = new WorkerPool({ name: 'native-tone', script: new URL('./fixtures/native-tone.worker.mjs', import.meta.url), size: 1 });
const tone = new PooledTextToSpeech({
  name: 'tone',
  pool: tonePool,
  voices: [{ id: 'tone', languages: ['en'], nativeSampleRate: NATIVE }, { id: 'legacy', languages: ['en'], nativeSampleRate: NATIVE }],
  resolveVoice: (o) => o.voice ?? 'tone',
});
const flitePool = new WorkerPool({ name: 'flite-rates', script: new URL('../../src/providers/tts/flite.worker.mjs', import.meta.url), size: 1 });
const flite = createFliteTts({ pool: flitePool });

after(() => Promise.all([tonePool.close(), flitePool.close()]));

/** The fixture's native audio for `text`, made on this thread. */
function nativeTone(text: string): Int16Array {
  const samples = new Int16Array(Math.round((text.length * NATIVE) / 100));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / NATIVE));
  return samples;
}

const jobs = (pool: WorkerPool) => pool.workers().reduce((n, w) => n + w.jobs, 0);

test('synthesize, stream and synthesizeRates return what the worker converted, equal to resampling the native audio', async () => {
  const text = 'Thank you for calling.';
  for (const rate of [8000, 16000, 24000]) {
    const { samples, sampleRate } = await tone.synthesize(text, { sampleRate: rate });
    assert.equal(sampleRate, rate);
    assert.deepEqual(samples, resample(nativeTone(text), NATIVE, rate), `${rate} Hz`);
    const chunks: Int16Array[] = [];
    for await (const chunk of tone.stream(text, { sampleRate: rate })) chunks.push(chunk);
    assert.deepEqual(chunks, [samples], `${rate} Hz streamed`);
  }
  const before = jobs(tonePool);
  const all = await tone.synthesizeRates(text, { sampleRates: [8000, 16000, 24000] });
  assert.equal(jobs(tonePool) - before, 1, 'one synthesis for three rates');
  assert.deepEqual(all, [8000, 16000, 24000].map((rate) => resample(nativeTone(text), NATIVE, rate)));
});

test('an engine that leaves the conversion to the main thread is refused, not converted here', async () => {
  // Native audio at another rate than asked: the main thread would have to resample it, and does not.
  await assert.rejects(
    tone.synthesize('Hello.', { voice: 'legacy', sampleRate: 8000 }),
    (e) => e instanceof ProviderError && e.code === 'engine-failed' && /did not return the audio at 8000 Hz/.test(e.message),
  );
  await assert.rejects(tone.synthesizeRates('Hello.', { sampleRates: [8000, 96000] }), (e) => e instanceof ProviderError && e.code === 'invalid-input');
  await assert.rejects(tone.synthesizeRates('Hello.', { sampleRates: [] }), (e) => e instanceof ProviderError && e.code === 'invalid-input');
});

test("flite: one job gives a sentence at 8, 16 and 24 kHz, each the resampling of the voice's native 16 kHz audio", async () => {
  const text = 'How can I help you today?';
  const native = (await flite.synthesize(text, { voice: 'slt', sampleRate: 16000 })).samples;
  const before = jobs(flitePool);
  const [at8, at16, at24] = await flite.synthesizeRates!(text, { voice: 'slt', sampleRates: [8000, 16000, 24000] });
  assert.equal(jobs(flitePool) - before, 1);
  assert.deepEqual(at16, native, 'the native rate as synthesized');
  assert.deepEqual(at8, resample(native, 16000, 8000));
  assert.deepEqual(at24, resample(native, 16000, 24000));
});
