// The language a recogniser reports (Sarvam with language-code=unknown) reaches the turn's text, so an agent can
// follow the caller's language after the first turn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveTranscriber } from '../../src/conversation/live-transcriber.js';
import { SarvamSpeechToText } from '../../src/providers/stt/sarvam.js';
import { startFakeSarvamStt } from '../fakes/sarvam-stt.js';
import { tone as toneAt, writeFrames } from '../helpers/stt-events.js';

const RATE = 8000;

const tone = (ms: number) => toneAt(ms, RATE);

test('each turn carries the language its final transcript was heard in', { timeout: 15_000 }, async () => {
  const fake = await startFakeSarvamStt({ script: [{ transcript: 'வணக்கம்', language: 'ta-IN' }, { transcript: 'order kahan hai', language: 'hi-IN' }], endSilenceMs: 200 });
  const controller = new AbortController();
  const finals: string[] = [];
  const lt = new LiveTranscriber({
    stt: new SarvamSpeechToText({ apiKey: 'sarvam-stt-test-key', baseUrl: fake.baseUrl, language: 'unknown' }),
    sampleRate: RATE,
    language: 'hi-IN',
    signal: controller.signal,
    onTranscript: (text, final) => void (final && finals.push(text)),
    onFailure: (report) => assert.fail(JSON.stringify(report)),
    onDead: () => assert.fail('dead'),
    now: () => performance.now(),
  });
  try {
    const frames = (audio: Int16Array) => writeFrames(lt, RATE, audio);
    const until = async (n: number) => {
      while (finals.length < n) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    frames(tone(400));
    frames(new Int16Array(RATE / 2));
    await until(1);
    const first = await lt.turnText(0, 2000);
    assert.deepEqual({ text: first.text, language: first.language }, { text: 'வணக்கம்', language: 'ta-IN' });
    const secondStart = lt.writtenMs;
    frames(tone(400));
    frames(new Int16Array(RATE / 2));
    await until(2);
    const second = await lt.turnText(secondStart, 2000);
    assert.deepEqual({ text: second.text, language: second.language }, { text: 'order kahan hai', language: 'hi-IN' });
    assert.equal(fake.connections[0]!.query.get('language-code'), 'unknown');
  } finally {
    lt.close();
    controller.abort();
    await fake.close();
  }
});
