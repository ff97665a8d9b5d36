import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { SarvamTextToSpeech, streamRate, type SarvamTtsOptions } from '../../src/providers/tts/sarvam.js';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { FakeSarvamTts } from '../fakes/sarvam-tts.js';
import { collect, concat, runTtsConformance, stallNextStream } from './tts-conformance.js';

const fake = await FakeSarvamTts.start();
after(() => fake.close());

const TEXT = 'नमस्ते। आपका ऑर्डर शुक्रवार शाम तक पहुँच जाएगा।';
const LONG_TEXT = `${TEXT} डिलीवरी से पहले कूरियर आपको फ़ोन करेगा। आप हमारी वेबसाइट पर भी इसे ट्रैक कर सकते हैं। हमारे साथ खरीदारी करने के लिए धन्यवाद।`;

function tts(options: Partial<SarvamTtsOptions> = {}): SarvamTextToSpeech {
  return new SarvamTextToSpeech({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, ...options });
}

function isCode(code: string) {
  return (e: unknown) => e instanceof ProviderError && e.code === code;
}

runTtsConformance('Sarvam', {
  tts: tts(),
  sampleRates: [8000, 16000, 24000],
  options: { language: 'hi-IN' },
  text: TEXT,
  longText: LONG_TEXT,
  maxChars: 3500,
  firstAudioWithinMs: 5000,
  requestsSent: () => fake.requests.length,
  holdNextStream: () => stallNextStream(fake, 4801),
  failures: [
    { name: '429', arrange: () => (fake.failNext({ kind: 'rate-limit', retryAfterSec: 1 }), tts()), retryable: true },
    { name: '500', arrange: () => (fake.failNext({ kind: 'server' }), tts()), retryable: true },
    { name: 'socket closed mid-utterance', arrange: () => (fake.failNext({ kind: 'drop', afterBytes: 5001 }), tts()), retryable: true },
    { name: 'wrong key (403)', arrange: () => tts({ apiKey: 'sarvam-WRONG-key-000000000001' }), retryable: false },
    { name: 'speaker the service lacks', arrange: () => tts({ speakers: ['narrator-9'] }), retryable: false },
  ],
});

test('8 and 16 kHz calls get audio at their own rate, untouched; other rates are resampled from the next rate up', async () => {
  for (const sampleRate of [8000, 16000, 24000]) {
    const before = fake.requests.length;
    const chunks = await collect(tts().stream(TEXT, { sampleRate, language: 'hi-IN' }));
    const req = fake.requests[before]!;
    assert.equal(req.path, '/text-to-speech/stream');
    assert.equal(req.headers['api-subscription-key'], '***', 'the key was sent (masked in the record)');
    assert.deepEqual(req.body, { text: TEXT, target_language_code: 'hi-IN', speaker: 'shubh', model: 'bulbul:v3', speech_sample_rate: sampleRate, output_audio_codec: 'linear16' });
    assert.ok(req.chunks.some((n) => n % 2 === 1), 'the fake split samples across chunks');
    assert.ok(chunks.length > 3, `${chunks.length} chunks at ${sampleRate}`);
    assert.deepEqual(concat(chunks), fake.expected(TEXT, sampleRate));
  }
  assert.equal(streamRate(12000), 16000);
  assert.equal(streamRate(48000), 24000);
  const before = fake.requests.length;
  const out = await tts().synthesize(TEXT, { sampleRate: 12000 });
  assert.equal((fake.requests[before]!.body as { speech_sample_rate: number }).speech_sample_rate, 16000);
  assert.deepEqual(out.samples, resample(fake.expected(TEXT, 16000), 16000, 12000), 'streamed resampling equals a whole-buffer resample');
});

test('a WAV header in front of the PCM is stripped, and its rate is believed', async () => {
  fake.wavHeader = true;
  try {
    fake.schedule = { sizes: [3, 17, 5, 400, 1] };
    const out = await tts().synthesize(TEXT, { sampleRate: 8000 });
    assert.deepEqual(out.samples, fake.expected(TEXT, 8000));
  } finally {
    fake.wavHeader = false;
    fake.schedule = {};
  }
});

test('speaker, language, pace, model options go into the body; the language maps to Sarvam codes', async () => {
  const before = fake.requests.length;
  const voice = tts({ speakers: ['kavya', 'rahul'], language: 'ta-IN', pace: 1.2, temperature: 0.5, enablePreprocessing: true });
  await voice.synthesize('vanakkam', { sampleRate: 8000 });
  await voice.synthesize('namaskara', { sampleRate: 8000, voice: 'rahul', language: 'or' });
  await voice.synthesize('hello', { sampleRate: 8000, language: 'en-US' });
  assert.deepEqual(fake.requests[before]!.body, {
    text: 'vanakkam',
    target_language_code: 'ta-IN',
    speaker: 'kavya',
    model: 'bulbul:v3',
    speech_sample_rate: 8000,
    output_audio_codec: 'linear16',
    pace: 1.2,
    temperature: 0.5,
    enable_preprocessing: true,
  });
  assert.deepEqual((fake.requests[before + 1]!.body as Record<string, unknown>).speaker, 'rahul');
  assert.deepEqual((fake.requests[before + 1]!.body as Record<string, unknown>).target_language_code, 'od-IN');
  assert.deepEqual((fake.requests[before + 2]!.body as Record<string, unknown>).target_language_code, 'en-IN');
  await assert.rejects(voice.synthesize('hi', { sampleRate: 8000, voice: 'shubh' }), isCode('unknown-voice'));
  await assert.rejects(voice.synthesize('bonjour', { sampleRate: 8000, language: 'fr-FR' }), isCode('unsupported-language'));
  const v2 = tts({ model: 'bulbul:v2', speakers: ['anushka'], pace: 2.5, pitch: 0.2, loudness: 1.5 });
  await v2.synthesize('namaste', { sampleRate: 16000 });
  assert.deepEqual((fake.requests.at(-1)!.body as Record<string, unknown>).pitch, 0.2);
});

test('the first chunk is yielded while the service still holds back the rest', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 1601 });
  const before = fake.requests.length;
  const iterator = tts().stream(TEXT, { sampleRate: 8000 })[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(first.done, false);
  const req = fake.requests[before]!;
  await req.stalled;
  assert.equal(req.bytesSent, 1601);
  assert.ok(first.value.length <= 800);
  fake.resume();
  const all: Int16Array[] = [first.value];
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) all.push(r.value);
  assert.deepEqual(concat(all), fake.expected(TEXT, 8000));
});

test('a wrong key is unauthorized (Sarvam answers 403) and the key never appears in the error', async () => {
  const key = 'sarvam-WRONG-key-000000000001';
  const err = await tts({ apiKey: key })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unauthorized')(err));
  const e = err as ProviderError;
  assert.equal(e.details?.status, 403);
  assert.equal(e.details?.providerCode, 'invalid_api_key_error');
  assert.ok(!e.message.includes(key), e.message);
});

test('429 carries Retry-After; 500 is server; a dropped body is connection-lost; a slow first byte is a timeout', async () => {
  fake.failNext({ kind: 'rate-limit', retryAfterSec: 7 });
  const limited = await tts()
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('rate-limited')(limited));
  assert.equal((limited as ProviderError).details?.retryAfterSec, 7);
  assert.equal((limited as ProviderError).details?.providerCode, 'rate_limit_exceeded_error');
  fake.failNext({ kind: 'server' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('server')(e) && isRetryable(e));
  fake.failNext({ kind: 'drop', afterBytes: 3001 });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 16000 }), (e) => isCode('connection-lost')(e) && isRetryable(e));
  fake.failNext({ kind: 'stall', afterBytes: 0 });
  await assert.rejects(tts({ firstByteTimeoutMs: 40 }).synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('timeout')(e) && isRetryable(e));
  fake.resume();
});

test('an unknown speaker refused by the service is unknown-voice; JSON or MP3 on a 200 is bad-response', async () => {
  const err = await tts({ speakers: ['narrator-9'] })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unknown-voice')(err), String(err));
  fake.failNext({ kind: 'answer', status: 200, body: '{"request_id":"x","audios":["AAAA"]}' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
  fake.failNext({ kind: 'answer', status: 200, body: 'ID3\u0004', contentType: 'audio/mpeg' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
});

test('text over 3500 characters, bad pace, a bad default language are refused before sending', async () => {
  const before = fake.requests.length;
  await assert.rejects(tts().synthesize('a'.repeat(3501), { sampleRate: 8000 }), isCode('invalid-input'));
  assert.throws(() => tts({ pace: 2.5 }), isCode('invalid-input'));
  assert.throws(() => tts({ model: 'bulbul:v2', pace: 3.5 }), isCode('invalid-input'));
  assert.throws(() => tts({ language: 'de-DE' }), isCode('unsupported-language'));
  assert.throws(() => tts({ apiKey: '' }), isCode('unauthorized'));
  assert.equal(fake.requests.length, before);
});

test('fake: checks the key header and the body like the API', async () => {
  const post = (body: unknown, key: string | undefined = fake.apiKey) =>
    fetch(`${fake.baseUrl}/text-to-speech/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'api-subscription-key': key } : {}) },
      body: JSON.stringify(body),
    });
  const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
  const noKey = await post({ text: 'hi', target_language_code: 'hi-IN' }, '');
  assert.equal(noKey.status, 403);
  assert.equal(await code(noKey), 'invalid_api_key_error');
  const badRate = await post({ text: 'hi', target_language_code: 'hi-IN', speech_sample_rate: 48000, output_audio_codec: 'linear16' });
  assert.equal(badRate.status, 400);
  assert.equal(await code(badRate), 'invalid_request_error');
  const v3Pitch = await post({ text: 'hi', target_language_code: 'hi-IN', pitch: 0.1, output_audio_codec: 'linear16' });
  assert.equal(v3Pitch.status, 400);
  const noLanguage = await post({ text: 'hi' });
  assert.equal(noLanguage.status, 400);
  const ok = await post({ text: 'one two three', target_language_code: 'hi-IN', speech_sample_rate: 8000, output_audio_codec: 'linear16' });
  assert.equal(ok.status, 200);
  assert.equal((await ok.arrayBuffer()).byteLength, 3 * 1200 * 2);
});
