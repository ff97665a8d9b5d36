import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import { SarvamSpeechToText, type SarvamSttOptions } from '../../src/providers/stt/sarvam.js';
import { parseSarvamMessage } from '../../src/providers/stt/sarvam-messages.js';
import type { SttEvent, SttStreamOptions } from '../../src/providers/types.js';
import { startFakeSarvamStt, type FakeSarvamStt, type FakeSarvamSttOptions } from '../fakes/sarvam-stt.js';
import { collector, errOf, tone, writeFrames } from '../helpers/stt-events.js';

const T = { timeout: 15_000 };

const silence = (ms: number, rate: number) => new Int16Array((ms * rate) / 1000);

const isFinal = (e: SttEvent) => e.type === 'transcript' && e.final;
const isFatal = (e: SttEvent) => e.type === 'error' && e.fatal;

/** The ProviderError a fatal event carries. */
async function fatalError(c: ReturnType<typeof collector>): Promise<ProviderError> {
  return errOf(await c.waitFor(isFatal));
}

async function withFake(options: FakeSarvamSttOptions, body: (fake: FakeSarvamStt) => Promise<void>): Promise<void> {
  const fake = await startFakeSarvamStt(options);
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

function stt(fake: FakeSarvamStt, options: Partial<SarvamSttOptions> = {}): SarvamSpeechToText {
  return new SarvamSpeechToText({ apiKey: 'sarvam-stt-test-key', baseUrl: fake.baseUrl, ...options });
}

function opts(c: ReturnType<typeof collector>, sampleRate: number, extra: Partial<SttStreamOptions> = {}): SttStreamOptions {
  return { sampleRate, language: 'hi-IN', onEvent: (e) => c.onEvent(e), ...extra };
}

for (const rate of [8000, 16000]) {
  test(`${rate / 1000} kHz call: audio goes out untouched at ${rate} Hz; speech-started, final with the language, utterance-end`, T, async () => {
    await withFake({ script: [{ transcript: 'मेरा ऑर्डर कहाँ है' }] }, async (fake) => {
      const c = collector();
      const stream = await stt(fake).open(opts(c, rate));
      const conn = await fake.nextConnection();
      assert.deepEqual(Object.fromEntries(conn.query), {
        'language-code': 'hi-IN',
        model: 'saaras:v3',
        sample_rate: String(rate),
        input_audio_codec: 'pcm_s16le',
        vad_signals: 'true',
        flush_signal: 'true',
      });
      const speech = tone(600, rate);
      writeFrames(stream, rate, speech, silence(600, rate));
      const final = await c.waitFor(isFinal);
      assert.deepEqual(final, { type: 'transcript', text: 'मेरा ऑर्डर कहाँ है', final: true, speechFinal: true, language: 'hi-IN' });
      const kinds = c.events.map((e) => e.type);
      assert.ok(kinds.indexOf('speech-started') < kinds.indexOf('utterance-end') && kinds.indexOf('utterance-end') < kinds.indexOf('transcript'), kinds.join(','));
      await stream.close();
      assert.deepEqual([...conn.declaredRates], [rate]);
      assert.deepEqual(conn.audio.subarray(0, speech.length), speech, 'the caller audio arrives sample for sample');
      assert.equal((await conn.closed).code, 1000);
      assert.equal(conn.flushes, 0, 'nothing was left to flush');
      assert.equal(stream.stats.transcripts, 1);
    });
  });
}

test('a 24 kHz call is resampled in-process to 16 kHz (the rate Sarvam takes)', T, async () => {
  await withFake({ script: [{ transcript: 'hello' }] }, async (fake) => {
    const c = collector();
    const stream = stt(fake).connect(opts(c, 24000));
    const conn = await fake.nextConnection();
    assert.equal(conn.query.get('sample_rate'), '16000');
    writeFrames(stream, 24000, tone(600, 24000), silence(600, 24000));
    await c.waitFor(isFinal);
    await stream.close();
    const expected = (1200 * 16000) / 1000;
    assert.ok(Math.abs(conn.audio.length - expected) <= 64, `${conn.audio.length} samples at 16 kHz for 1.2 s`);
    assert.deepEqual([...conn.declaredRates], [16000]);
  });
});

test('finalize() sends flush and yields the transcript without waiting for silence', T, async () => {
  await withFake({ script: [{ transcript: 'ek do teen' }], endSilenceMs: 5000 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(opts(c, 8000));
    const conn = await fake.nextConnection();
    writeFrames(stream, 8000, tone(500, 8000), silence(100, 8000));
    stream.finalize();
    const final = await c.waitFor(isFinal);
    assert.equal((final as { text: string }).text, 'ek do teen');
    assert.equal(conn.flushes, 1);
    await stream.close();
  });
});

test('close() mid-utterance flushes, delivers the last transcript, then closes normally', T, async () => {
  await withFake({ script: [{ transcript: 'aakhri baat' }], endSilenceMs: 5000, transcriptDelayMs: 30 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(opts(c, 16000));
    const conn = await fake.nextConnection();
    writeFrames(stream, 16000, tone(400, 16000));
    await stream.close();
    assert.equal((c.events.find(isFinal) as { text: string } | undefined)?.text, 'aakhri baat', 'the transcript came before close resolved');
    assert.equal(conn.flushes, 1);
    assert.equal((await conn.closed).code, 1000);
  });
});

test('a Sarvam that never answers the closing flush is closed after closeTimeoutMs', T, async () => {
  await withFake({ script: [], endSilenceMs: 5000 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { closeTimeoutMs: 100 }).open(opts(c, 8000, { language: 'ta' }));
    const conn = await fake.nextConnection();
    assert.equal(conn.query.get('language-code'), 'ta-IN');
    conn.ignoreFlush = true;
    writeFrames(stream, 8000, tone(300, 8000));
    const t0 = performance.now();
    await stream.close();
    assert.ok(performance.now() - t0 >= 90);
    assert.equal(conn.flushes, 1);
  });
});

test('language unknown: Sarvam detects it, and the final transcript carries what it heard', T, async () => {
  await withFake({ script: [{ transcript: 'என் ஆர்டர் எங்கே', language: 'ta-IN' }] }, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { language: 'unknown', mode: 'codemix', highVadSensitivity: true }).open(opts(c, 8000));
    const conn = await fake.nextConnection();
    assert.equal(conn.query.get('language-code'), 'unknown');
    assert.equal(conn.query.get('mode'), 'codemix');
    assert.equal(conn.query.get('high_vad_sensitivity'), 'true');
    writeFrames(stream, 8000, tone(500, 8000), silence(600, 8000));
    const final = await c.waitFor(isFinal);
    assert.equal((final as { language?: string }).language, 'ta-IN');
    await stream.close();
  });
});

test('a wrong key: open() rejects unauthorized (403) without the key; connect() reports a fatal event', T, async () => {
  await withFake({}, async (fake) => {
    const key = 'sarvam-WRONG-0123456789abcdef';
    const err = await stt(fake, { apiKey: key })
      .open(opts(collector(), 8000))
      .catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError && err.code === 'unauthorized', String(err));
    assert.equal(err.details?.status, 403);
    assert.equal(err.details?.providerCode, 'invalid_api_key_error');
    assert.ok(!err.message.includes(key));
    assert.equal(isRetryable(err), false);
    const c = collector();
    const stream = stt(fake, { apiKey: key }).connect(opts(c, 8000));
    writeFrames(stream, 8000, tone(100, 8000));
    assert.equal((await fatalError(c)).code, 'unauthorized');
    await assert.rejects(stream.ready, (e) => e instanceof ProviderError && e.code === 'unauthorized');
  });
});

test('429 is rate-limited (retryable, with Retry-After); 503 is server', T, async () => {
  await withFake({}, async (fake) => {
    fake.refuseNext(429, { retryAfterSec: 3 });
    const limited = await stt(fake)
      .open(opts(collector(), 8000))
      .catch((e: unknown) => e);
    assert.ok(limited instanceof ProviderError && limited.code === 'rate-limited' && isRetryable(limited));
    assert.equal(limited.details?.retryAfterSec, 3);
    assert.equal(limited.details?.providerCode, 'rate_limit_exceeded_error');
    fake.refuseNext(503);
    await assert.rejects(stt(fake).open(opts(collector(), 8000)), (e) => e instanceof ProviderError && e.code === 'server' && isRetryable(e));
  });
});

test('the socket closed mid-utterance is a fatal, retryable connection-lost', T, async () => {
  await withFake({ script: [{ transcript: 'never heard' }], dropMidUtteranceMs: 200 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(opts(c, 8000));
    writeFrames(stream, 8000, tone(600, 8000));
    const fatal = await fatalError(c);
    assert.equal(fatal.code, 'connection-lost');
    assert.ok(isRetryable(fatal));
    assert.equal(c.events.some(isFinal), false);
    await stream.close();
  });
});

test('a slow first byte (upgrade) times out; a merely slow one buffers the audio written meanwhile', T, async () => {
  await withFake({ upgradeDelayMs: 400 }, async (fake) => {
    await assert.rejects(stt(fake, { connectTimeoutMs: 50 }).open(opts(collector(), 8000)), (e) => e instanceof ProviderError && e.code === 'timeout' && isRetryable(e));
  });
  await withFake({ upgradeDelayMs: 150, script: [{ transcript: 'buffered' }] }, async (fake) => {
    const c = collector();
    const stream = stt(fake).connect(opts(c, 8000));
    const speech = tone(500, 8000);
    writeFrames(stream, 8000, speech, silence(600, 8000));
    const conn = await fake.nextConnection();
    assert.equal(((await c.waitFor(isFinal)) as { text: string }).text, 'buffered');
    assert.deepEqual(conn.audio.subarray(0, speech.length), speech, 'audio written while connecting arrives in order');
    await stream.close();
  });
});

test('an error message from Sarvam is a fatal error with its code mapped; malformed messages are non-fatal', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(opts(c, 8000));
    const conn = await fake.nextConnection();
    conn.sendRaw('{"type":"data","data":');
    conn.sendRaw('{"type":"data","data":{"transcript":7}}');
    conn.sendRaw('{"type":"something_new","data":{}}');
    conn.fail('Quota exhausted for this key', 'insufficient_quota_error');
    const fatal = await fatalError(c);
    assert.equal(fatal.code, 'rate-limited');
    assert.equal(fatal.details?.providerCode, 'insufficient_quota_error');
    assert.equal(c.events.filter((e) => e.type === 'error' && !e.fatal).length, 2);
    await stream.close();
  });
});

test('abort (the call hung up) ends the stream silently', T, async () => {
  await withFake({ script: [{ transcript: 'unheard' }], endSilenceMs: 5000 }, async (fake) => {
    const c = collector();
    const controller = new AbortController();
    const stream = await stt(fake).open(opts(c, 8000, { signal: controller.signal }));
    const conn = await fake.nextConnection();
    writeFrames(stream, 8000, tone(300, 8000));
    const count = c.events.length;
    controller.abort();
    await stream.close();
    assert.equal(c.events.length, count, 'nothing is reported after the abort');
    assert.equal((await conn.closed).code, 1000);
  });
});

test('options are checked up front: a mode needs saaras, languages must be Sarvam languages', () => {
  assert.throws(() => new SarvamSpeechToText({ apiKey: 'k', model: 'saarika:v2.5', mode: 'translate' }), (e) => e instanceof ProviderError && e.code === 'invalid-input');
  assert.throws(() => new SarvamSpeechToText({ apiKey: '' }), (e) => e instanceof ProviderError && e.code === 'unauthorized');
  const saarika = new SarvamSpeechToText({ apiKey: 'k', model: 'saarika:v2.5' });
  assert.throws(() => saarika.streamUrl({ sampleRate: 8000, language: 'ur-IN' }), (e) => e instanceof ProviderError && e.code === 'unsupported-language');
  const saaras = new SarvamSpeechToText({ apiKey: 'k' });
  assert.match(saaras.streamUrl({ sampleRate: 8000, language: 'ur' }), /^wss:\/\/api\.sarvam\.ai\/speech-to-text\/ws\?language-code=ur-IN&/);
  assert.match(saaras.streamUrl({ sampleRate: 8000, language: 'or-IN' }), /language-code=od-IN/);
  assert.match(saaras.streamUrl({ sampleRate: 8000 }), /language-code=unknown/);
  assert.throws(() => saaras.connect({ sampleRate: 0, onEvent: () => {} }), (e) => e instanceof ProviderError && e.code === 'invalid-input');
});

test('codec: documented messages parse; hostile ones are refused, never thrown', () => {
  assert.deepEqual(parseSarvamMessage('{"type":"data","data":{"request_id":"r1","transcript":"haan","language_code":"unknown","metrics":{"audio_duration":1}}}'), {
    type: 'transcript',
    text: 'haan',
    language: undefined,
    languageProbability: undefined,
    requestId: 'r1',
  });
  assert.deepEqual(parseSarvamMessage('{"type":"events","data":{"signal_type":"START_SPEECH","occured_at":1.5}}'), { type: 'speech-started' });
  assert.deepEqual(parseSarvamMessage('{"type":"error","data":{"error":"bad audio","code":"invalid_request_error"}}'), { type: 'error', message: 'bad audio', code: 'invalid_request_error' });
  assert.equal(parseSarvamMessage('[1,2]').type, 'invalid');
  assert.equal(parseSarvamMessage('{"type":"data","data":{"__proto__":{"x":1},"transcript":"a"}}').type, 'transcript');
  assert.equal(parseSarvamMessage(`{"type":"data","data":${'['.repeat(500)}${']'.repeat(500)}}`).type, 'invalid');
});
