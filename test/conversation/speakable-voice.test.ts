import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VoiceBank, replyVoice } from '../../src/conversation/voice-bank.js';
import type { SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../../src/providers/types.js';

/** A synthesizer that keeps what it was asked to say and answers with 10 ms of silence per character. */
class RecordingTts implements TextToSpeech {
  readonly name = 'rec';
  readonly said: string[] = [];
  voices(): VoiceInfo[] {
    return [{ id: 'v', languages: ['en-IN', 'hi-IN'], nativeSampleRate: 8000 }];
  }
  async synthesize(text: string, o: SynthesisOptions): Promise<SynthesizedAudio> {
    this.said.push(text);
    return { samples: new Int16Array((text.length * o.sampleRate) / 100), sampleRate: o.sampleRate };
  }
  async *stream(text: string, o: SynthesisOptions): AsyncIterable<Int16Array> {
    yield (await this.synthesize(text, o)).samples;
  }
}

test('the engine is given the sentence with its numbers in words of the voice language; the cache keeps the written text', async () => {
  const tts = new RecordingTts();
  const bank = new VoiceBank(new Map([['rec', tts]]));
  const en = { provider: 'rec', voice: 'v', language: 'en-IN' };
  const hi = { provider: 'rec', voice: 'v', language: 'hi-IN' };
  const text = 'Your refund of ₹1,25,000 reaches you on 06/12/2026.';
  await bank.warm([{ text, voice: en }, { text, voice: hi }], [8000]);
  assert.deepEqual(tts.said, [
    'Your refund of one lakh twenty-five thousand rupees reaches you on sixth December twenty twenty-six.',
    'Your refund of एक लाख पच्चीस हज़ार रुपये reaches you on छह दिसंबर दो हज़ार छब्बीस.',
  ]);
  assert.ok(bank.audio(text, en, 8000) instanceof Int16Array, 'cached under the written sentence');
  assert.ok(bank.audio(text, hi, 8000) instanceof Int16Array, 'each language its own entry');

  await bank.audio('Call 9876543210 for order 47219.', en, 8000);
  assert.equal(tts.said.at(-1), 'Call nine eight seven six five, four three two one zero for order four seven two one nine.');
  for await (const _ of bank.stream('ऑर्डर 1 2 3 4 5 कल पहुँचेगा।', hi, 8000));
  assert.equal(tts.said.at(-1), 'ऑर्डर एक दो तीन चार पाँच कल पहुँचेगा।');
});

test('a reply with its own voice speaks the agent language unless it names one', () => {
  const agent = { provider: 'espeak', voice: 'hi', language: 'hi-IN' };
  assert.deepEqual(replyVoice(undefined, agent), agent);
  assert.deepEqual(replyVoice({ provider: 'flite', voice: 'slt' }, agent), { provider: 'flite', voice: 'slt', language: 'hi-IN' });
  assert.deepEqual(replyVoice({ provider: 'flite', voice: 'slt', language: 'en-IN' }, agent), { provider: 'flite', voice: 'slt', language: 'en-IN' });
});
