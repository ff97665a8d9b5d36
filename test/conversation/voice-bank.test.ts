import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoiceBank } from '../../src/conversation/voice-bank.js';
import { createFliteTts } from '../../src/providers/tts/flite.js';

const voice = { provider: 'flite', voice: 'kal' };

test('fixed prompts are synthesized once per voice and rate, then served synchronously', async () => {
  const bank = new VoiceBank(new Map([['flite', createFliteTts()]]));
  const text = 'Hello, thank you for calling. How can I help you today?';
  const sentences = VoiceBank.sentences(text);
  assert.deepEqual(sentences, ['Hello, thank you for calling.', 'How can I help you today?']);
  assert.ok(bank.audio(sentences[0], voice, 8000) instanceof Promise, 'not cached yet');
  await bank.warm([{ text, voice }], [8000]);
  const a = bank.audio(sentences[0], voice, 8000);
  assert.ok(a instanceof Int16Array && a.length > 4000);
  assert.equal(bank.audio(sentences[0], voice, 8000), a, 'the same buffer every time');
  const wide = bank.audio(sentences[1], voice, 16000);
  assert.ok(wide instanceof Promise, 'each rate has its own cache');
  const b = bank.audio(sentences[1], voice, 8000) as Int16Array;
  assert.ok(Math.abs((await wide).length - 2 * b.length) < 40, '16 kHz audio of the same sentence is twice as long in samples');
  assert.throws(() => bank.audio('Hi.', { provider: 'polly', voice: 'x' }, 8000), /no speech synthesizer "polly"/);
});
