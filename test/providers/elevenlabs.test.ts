import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ElevenLabsTextToSpeech, type ElevenLabsTtsOptions } from '../../src/providers/tts/elevenlabs.js';
import { Pcm16Decoder } from '../../src/providers/tts/http-audio.js';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { pcm16ToUlaw, ulawToPcm16 } from '../../src/audio/g711.js';
import { FakeElevenLabs } from '../fakes/elevenlabs.js';
import { pcm16le } from '../fakes/speech-stream.js';
import { runTtsConformance, stallNextStream } from './tts-conformance.js';

const fake = await FakeElevenLabs.start({ voices: ['voice-en-1', 'voice-hi-1'] });
after(() => fake.close());

const TEXT = 'Thank you for calling. Your balance is five hundred rupees.';
const LONG_TEXT = `${TEXT} Your last payment was received on the fifth of March. Is there anything else I can help you with today? Thank you, goodbye.`;

function tts(options: Partial<ElevenLabsTtsOptions> = {}): ElevenLabsTextToSpeech {
  return new ElevenLabsTextToSpeech({
    apiKey: fake.apiKey,
    baseUrl: fake.baseUrl,
    voices: [
      { id: 'voice-en-1', languages: ['en-IN', 'en'] },
      { id: 'voice-hi-1', languages: ['hi-IN'] },
    ],
    ...options,
  });
}

runTtsConformance('ElevenLabs', {
  tts: tts(),
  sampleRates: [8000, 16000, 24000],
  text: TEXT,
  longText: LONG_TEXT,
  maxChars: 40_000, // eleven_flash_v2_5, the default model
  firstAudioWithinMs: 5000,
  requestsSent: () => fake.requests.length,
  holdNextStream: () => stallNextStream(fake, 1200),

  failures: [
    { name: '429', arrange: () => (fake.failNext({ kind: 'rate-limit', retryAfterSec: 1 }), tts()), retryable: true },
    { name: '503', arrange: () => (fake.failNext({ kind: 'server', status: 503 }), tts()), retryable: true },
    { name: 'body broken mid-way', arrange: () => (fake.failNext({ kind: 'drop', afterBytes: 1500 }), tts()), retryable: true },
    { name: 'wrong key', arrange: () => tts({ apiKey: 'sk_wrong0123456789abcdef' }), retryable: false },
    { name: 'voice the service lacks', arrange: () => tts({ voices: ['voice-gone'] }), retryable: false },
  ],
});

function isCode(code: string) {
  return (e: unknown) => e instanceof ProviderError && e.code === code;
}

async function chunksOf(iterable: AsyncIterable<Int16Array>): Promise<Int16Array[]> {
  const out: Int16Array[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

function joined(chunks: readonly Int16Array[]): Int16Array {
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

test('asks for PCM at the call rate and returns exactly the streamed samples at 8, 16 and 24 kHz', async () => {
  for (const sampleRate of [8000, 16000, 24000]) {
    const before = fake.requests.length;
    const out = await tts().synthesize(TEXT, { sampleRate });
    const req = fake.requests[before]!;
    assert.equal(req.query.output_format, `pcm_${sampleRate}`);
    assert.equal(req.path, '/v1/text-to-speech/voice-en-1/stream');
    assert.equal(req.headers['xi-api-key'], '***', 'the key was sent (masked in the record)');
    assert.deepEqual(req.body, { text: TEXT, model_id: 'eleven_flash_v2_5' });
    assert.equal(out.sampleRate, sampleRate);
    const expected = fake.expected(TEXT, sampleRate);
    assert.equal(out.samples.length, expected.length, `sample count at ${sampleRate}`);
    assert.deepEqual(out.samples, expected);
    assert.equal(expected.length, 10 * Math.round(sampleRate * 0.15), 'ten words of 150 ms');
    assert.ok(req.chunks.some((n) => n % 2 === 1), 'the fake split samples across chunks');
  }
});

test('stream yields many chunks whose concatenation loses nothing across odd byte boundaries', async () => {
  fake.schedule = { intervalMs: 1, sizes: [1, 3, 5, 333, 2, 7, 999] };
  try {
    const chunks = await chunksOf(tts().stream(TEXT, { sampleRate: 16000 }));
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    assert.deepEqual(joined(chunks), fake.expected(TEXT, 16000));
  } finally {
    fake.schedule = {};
  }
});

test('the PCM decoder reassembles samples split at every byte offset', () => {
  const samples = Int16Array.from([0, 1, -1, 32767, -32768, 258, -12345, 4660]);
  const bytes = pcm16le(samples);
  for (let cut = 0; cut <= bytes.length; cut++) {
    for (let cut2 = cut; cut2 <= bytes.length; cut2++) {
      const decoder = new Pcm16Decoder();
      const parts = [bytes.subarray(0, cut), bytes.subarray(cut, cut2), bytes.subarray(cut2)].map((b) => decoder.decode(b));
      assert.deepEqual(joined(parts), samples, `cuts at ${cut}/${cut2}`);
    }
  }
});

test('a call rate the API does not offer is fetched at the next rate up and resampled as one stream', async () => {
  const before = fake.requests.length;
  const out = await tts().synthesize(TEXT, { sampleRate: 12000 });
  assert.equal(fake.requests[before]!.query.output_format, 'pcm_16000');
  assert.deepEqual(out.samples, resample(fake.expected(TEXT, 16000), 16000, 12000));
});

test('ulaw_8000 is decoded with G.711 (and resampled for a 16 kHz call)', async () => {
  const before = fake.requests.length;
  const at8k = await tts({ encoding: 'ulaw_8000' }).synthesize(TEXT, { sampleRate: 8000 });
  assert.equal(fake.requests[before]!.query.output_format, 'ulaw_8000');
  const decoded = ulawToPcm16(pcm16ToUlaw(fake.expected(TEXT, 8000)));
  assert.deepEqual(at8k.samples, decoded);
  const at16k = await tts({ encoding: 'ulaw_8000' }).synthesize(TEXT, { sampleRate: 16000 });
  assert.deepEqual(at16k.samples, resample(decoded, 8000, 16000));
});

test('query and body carry the configured options; the language picks the voice and language_code', async () => {
  const before = fake.requests.length;
  await tts({ optimizeStreamingLatency: 3, enableLogging: false, voiceSettings: { stability: 0.5, similarity_boost: 0.75 } }).synthesize('नमस्ते जी', {
    sampleRate: 8000,
    language: 'hi-IN',
  });
  const req = fake.requests[before]!;
  assert.equal(req.path, '/v1/text-to-speech/voice-hi-1/stream');
  assert.deepEqual(req.query, { output_format: 'pcm_8000', optimize_streaming_latency: '3', enable_logging: 'false' });
  assert.deepEqual(req.body, { text: 'नमस्ते जी', model_id: 'eleven_flash_v2_5', language_code: 'hi', voice_settings: { stability: 0.5, similarity_boost: 0.75 } });
});

test('the first chunk is yielded while the provider is still holding back the rest of the body', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 1001 });
  const before = fake.requests.length;
  const iterator = tts().stream(TEXT, { sampleRate: 8000 })[Symbol.asyncIterator]();
  const first = await iterator.next();
  const req = fake.requests[before]!;
  assert.equal(first.done, false);
  assert.ok(first.value.length > 0 && first.value.length <= 500, `${first.value.length} samples from the first 1001 bytes`);
  await req.stalled;
  assert.equal(req.bytesSent, 1001, 'the fake holds the rest of the body');
  assert.ok(req.bytesTotal > 1001);
  fake.resume();
  const rest: Int16Array[] = [first.value];
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value);
  assert.deepEqual(joined(rest), fake.expected(TEXT, 8000));
});

test('a wrong key is unauthorized with the provider message and without the key', async () => {
  const key = 'sk_wrong0123456789abcdef';
  const err = await tts({ apiKey: key })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unauthorized')(err));
  const e = err as ProviderError;
  assert.match(e.message, /invalid_api_key: Invalid API key/);
  assert.equal(e.details?.providerCode, 'invalid_api_key');
  assert.ok(!e.message.includes(key) && !e.message.includes('0123456789'));
  assert.equal(isRetryable(e), false);
});

test('429 is rate-limited with Retry-After; 5xx is server; both retryable', async () => {
  fake.failNext({ kind: 'rate-limit', retryAfterSec: 7 });
  const limited = await tts()
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('rate-limited')(limited));
  assert.equal((limited as ProviderError).details?.retryAfterSec, 7);
  assert.match((limited as ProviderError).message, /too_many_concurrent_requests/);
  assert.ok(isRetryable(limited));

  fake.failNext({ kind: 'server', status: 503 });
  const server = await tts()
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('server')(server));
  assert.equal((server as ProviderError).details?.status, 503);
});

test('the body breaking mid-way is connection-lost', async () => {
  fake.failNext({ kind: 'drop', afterBytes: 1500 });
  const chunks: Int16Array[] = [];
  const err = await (async () => {
    for await (const c of tts().stream(TEXT, { sampleRate: 8000 })) chunks.push(c);
  })().catch((e: unknown) => e);
  assert.ok(isCode('connection-lost')(err), String(err));
  assert.ok(chunks.length > 0, 'audio before the break was delivered');
  assert.ok(isRetryable(err));
});

test('no first byte in time is a timeout, and the request is cancelled', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 0 });
  const before = fake.requests.length;
  await assert.rejects(tts({ firstByteTimeoutMs: 50 }).synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('timeout')(e) && /no audio within 50 ms/.test((e as Error).message));
  const req = fake.requests[before]!;
  await req.done;
  assert.equal(req.bytesSent, 0);
  assert.equal(req.clientClosed, true);
});

test('a stream stalling mid-way is a timeout', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 800 });
  await assert.rejects(tts({ idleTimeoutMs: 50 }).synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('timeout')(e) && /stalled/.test((e as Error).message));
});

test('a 200 that is not audio is a bad-response', async () => {
  fake.failNext({ kind: 'answer', status: 200, body: '{"detail":"maintenance"}' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
});

test('the provider refusing the voice is unknown-voice', async () => {
  const err = await tts({ voices: ['voice-gone'] })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unknown-voice')(err));
  assert.match((err as Error).message, /voice_not_found/);
});

test('bad input is refused before anything is sent', async () => {
  const before = fake.requests.length;
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 7000 }), isCode('invalid-input'));
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000, voice: 'nobody' }), isCode('unknown-voice'));
  await assert.rejects(tts({ modelId: 'eleven_v3' }).synthesize('a'.repeat(5001), { sampleRate: 8000 }), isCode('invalid-input'));
  await assert.rejects(tts().synthesize('a'.repeat(40_001), { sampleRate: 8000 }), isCode('invalid-input'));
  assert.equal(fake.requests.length, before);
});

test('voices() lists what is configured, without a network call', () => {
  const before = fake.requests.length;
  assert.deepEqual(
    tts().voices().map((v) => [v.id, v.languages]),
    [
      ['voice-en-1', ['en-IN', 'en']],
      ['voice-hi-1', ['hi-IN']],
    ],
  );
  assert.equal(fake.requests.length, before);
});

test('fake: validates the query and body like the API', async () => {
  const post = (query: string, body: unknown, headers: Record<string, string> = { 'xi-api-key': fake.apiKey }) =>
    fetch(`${fake.baseUrl}/v1/text-to-speech/voice-en-1/stream${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const badFormat = await post('?output_format=pcm_11025', { text: 'hi' });
  assert.equal(badFormat.status, 400);
  const noText = await post('?output_format=pcm_8000', { model_id: 'eleven_flash_v2_5' });
  assert.equal(noText.status, 422);
  assert.deepEqual(((await noText.json()) as { detail: Array<{ loc: unknown }> }).detail[0]!.loc, ['body', 'text']);
  const noKey = await post('?output_format=pcm_8000', { text: 'hi' }, {});
  assert.equal(noKey.status, 401);
  assert.equal(((await noKey.json()) as { detail: { status: string } }).detail.status, 'needs_authorization');
  const tooLong = await post('?output_format=pcm_8000', { text: 'a'.repeat(5001), model_id: 'eleven_v3' });
  assert.equal(tooLong.status, 400);
  assert.equal(((await tooLong.json()) as { detail: { status: string } }).detail.status, 'max_character_limit_exceeded');
  const ok = await post('?output_format=pcm_8000', { text: 'one two' });
  assert.equal(ok.status, 200);
  assert.equal((await ok.arrayBuffer()).byteLength, 2 * 2 * 1200);
});
