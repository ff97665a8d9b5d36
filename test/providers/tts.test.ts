import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFliteTts, FLITE_VOICES } from '../../src/providers/tts/flite.js';
import { createEspeakTts, ESPEAK_INDIAN_LANGUAGES } from '../../src/providers/tts/espeak.js';
import { ProviderError } from '../../src/providers/errors.js';
import { levelDbfs } from '../../src/providers/stt/pocketsphinx.js';
import { MAX_TEXT_CHARS } from '../../src/providers/tts/pooled-tts.js';
import { runTtsConformance } from './tts-conformance.js';

const flite = createFliteTts();
const espeak = createEspeakTts();

// Local engines on a shared CI core: bounds are generous, rates limited to the two Exotel uses most.
runTtsConformance('flite', {
  tts: flite,
  sampleRates: [8000, 16000],
  text: 'Thank you for calling.',
  longText: 'Your balance is five hundred rupees. Is there anything else? Thank you for calling, goodbye.',
  maxChars: MAX_TEXT_CHARS,
  firstAudioWithinMs: 20_000,
});

runTtsConformance('espeak', {
  tts: espeak,
  sampleRates: [8000, 16000],
  options: { language: 'hi-IN' },
  text: 'नमस्ते, आपका स्वागत है।',
  longText: 'पहला वाक्य यहाँ है। दूसरा वाक्य यहाँ है। तीसरा वाक्य यहाँ है। धन्यवाद।',
  maxChars: MAX_TEXT_CHARS,
  firstAudioWithinMs: 20_000,
});

function isCode(code: string) {
  return (e: unknown) => e instanceof ProviderError && e.code === code;
}

test('flite speaks a sentence at each call rate with a plausible duration', async () => {
  const text = 'Thank you for calling. How can I help you today?';
  for (const sampleRate of [8000, 16000, 24000]) {
    const out = await flite.synthesize(text, { sampleRate });
    assert.equal(out.sampleRate, sampleRate);
    const seconds = out.samples.length / sampleRate;
    assert.ok(seconds > 1.5 && seconds < 5, `${seconds}s at ${sampleRate}`);
    assert.ok(levelDbfs(out.samples) > -35, 'audible');
  }
});

test('every listed flite voice synthesizes, and voices differ', async () => {
  const lengths = new Map<string, number>();
  for (const { id } of FLITE_VOICES) {
    const out = await flite.synthesize('Please hold the line.', { voice: id, sampleRate: 8000 });
    assert.ok(levelDbfs(out.samples) > -35, id);
    lengths.set(id, out.samples.length);
  }
  assert.ok(new Set(lengths.values()).size > 1, 'different voices produce different audio');
});

test('espeak speaks Hindi at 8 kHz with a plausible duration', async () => {
  const out = await espeak.synthesize('नमस्ते, आपका स्वागत है। मैं आपकी कैसे मदद कर सकता हूँ?', { language: 'hi-IN', sampleRate: 8000 });
  assert.equal(out.sampleRate, 8000);
  const seconds = out.samples.length / 8000;
  assert.ok(seconds > 2 && seconds < 8, `${seconds}s`);
  assert.ok(levelDbfs(out.samples) > -35);
});

test('espeak has a voice for each listed Indian language', async () => {
  const ids = new Set(espeak.voices().map((v) => v.id));
  for (const code of Object.keys(ESPEAK_INDIAN_LANGUAGES)) assert.ok(ids.has(code), code);
  const tamil = await espeak.synthesize('வணக்கம், எப்படி இருக்கிறீர்கள்?', { voice: 'ta', sampleRate: 16000 });
  assert.ok(tamil.samples.length / 16000 > 0.8 && levelDbfs(tamil.samples) > -35);
  const variant = await espeak.synthesize('नमस्ते', { voice: 'hi+f2', sampleRate: 8000 });
  assert.ok(levelDbfs(variant.samples) > -35);
});

test('stream yields one audible chunk per sentence', async () => {
  const chunks: Int16Array[] = [];
  for await (const chunk of flite.stream('Your balance is five hundred rupees. Is there anything else? Thank you for calling.', { sampleRate: 8000 })) {
    chunks.push(chunk);
  }
  assert.equal(chunks.length, 3);
  for (const c of chunks) assert.ok(c.length > 4000 && levelDbfs(c) > -35);
});

test('bad input fails with clear errors', async () => {
  await assert.rejects(flite.synthesize('hi', { voice: 'nobody', sampleRate: 8000 }), isCode('unknown-voice'));
  await assert.rejects(flite.synthesize('hi', { language: 'hi', sampleRate: 8000 }), isCode('unsupported-language'));
  await assert.rejects(flite.synthesize('hi', { sampleRate: 7 }), isCode('invalid-input'));
  await assert.rejects(espeak.synthesize('hi', { voice: 'xx', sampleRate: 8000 }), isCode('unknown-voice'));
  await assert.rejects(espeak.synthesize('hi', { voice: 'hi+nosuchvariant', sampleRate: 8000 }), isCode('unknown-voice'));
  await assert.rejects(espeak.synthesize('hi', { language: 'tlh', sampleRate: 8000 }), isCode('unsupported-language'));
  assert.throws(() => createFliteTts({ defaultVoice: 'nobody' }), isCode('unknown-voice'));
});

test('aborting a synthesis under way rejects with AbortError', async () => {
  const ac = new AbortController();
  const pending = espeak.synthesize('नमस्ते, आपका स्वागत है।', { sampleRate: 8000, signal: ac.signal });
  ac.abort();
  await assert.rejects(pending, { name: 'AbortError' });
});
