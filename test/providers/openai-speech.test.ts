import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiTextToSpeech, OPENAI_BUILTIN_VOICES, type OpenAiSpeechOptions } from '../../src/providers/tts/openai-speech.js';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { FakeOpenAiSpeech } from '../fakes/openai-speech.js';
import { runTtsConformance, stallNextStream } from './tts-conformance.js';

const fake = await FakeOpenAiSpeech.start();
after(() => fake.close());

const TEXT = 'Namaste. Your order will reach you by Friday evening.';
const LONG_TEXT = `${TEXT} The courier will call you before delivery. You can also track it on our website. Thank you for shopping with us.`;

function tts(options: Partial<OpenAiSpeechOptions> = {}): OpenAiTextToSpeech {
  return new OpenAiTextToSpeech({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, ...options });
}

runTtsConformance('OpenAI speech', {
  tts: tts(),
  sampleRates: [8000, 16000, 24000],
  text: TEXT,
  longText: LONG_TEXT,
  maxChars: 4096,
  firstAudioWithinMs: 5000,
  requestsSent: () => fake.requests.length,
  holdNextStream: () => stallNextStream(fake, 4801),

  failures: [
    { name: '429', arrange: () => (fake.failNext({ kind: 'rate-limit', retryAfterSec: 1 }), tts()), retryable: true },
    { name: '500', arrange: () => (fake.failNext({ kind: 'server' }), tts()), retryable: true },
    { name: 'body broken mid-way', arrange: () => (fake.failNext({ kind: 'drop', afterBytes: 5001 }), tts()), retryable: true },
    { name: 'wrong key', arrange: () => tts({ apiKey: 'sk-proj-WRONGwrongWRONG1234' }), retryable: false },
    { name: 'voice the service lacks', arrange: () => tts({ voices: ['narrator-9'] }), retryable: false },
  ],
});

function isCode(code: string) {
  return (e: unknown) => e instanceof ProviderError && e.code === code;
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

test('asks for 24 kHz pcm and streams it resampled to 8 and 16 kHz, equal to a whole-buffer resample', async () => {
  for (const sampleRate of [8000, 16000, 24000]) {
    const before = fake.requests.length;
    const chunks: Int16Array[] = [];
    for await (const c of tts().stream(TEXT, { sampleRate })) chunks.push(c);
    const req = fake.requests[before]!;
    assert.equal(req.path, '/v1/audio/speech');
    assert.equal(req.headers.authorization, '***', 'the key was sent (masked in the record)');
    assert.deepEqual(req.body, { model: 'gpt-4o-mini-tts', input: TEXT, voice: 'alloy', response_format: 'pcm' });
    assert.ok(req.chunks.some((n) => n % 2 === 1), 'the fake split samples across chunks');
    assert.ok(chunks.length > 3, `${chunks.length} chunks at ${sampleRate}`);
    const source = fake.expected(TEXT);
    const out = joined(chunks);
    assert.equal(out.length, Math.ceil((source.length * sampleRate) / 24000), `sample count at ${sampleRate}`);
    assert.deepEqual(out, resample(source, 24000, sampleRate));
  }
});

test('synthesize returns the same audio as the stream, at the call rate', async () => {
  const out = await tts().synthesize(TEXT, { sampleRate: 8000 });
  assert.equal(out.sampleRate, 8000);
  assert.deepEqual(out.samples, resample(fake.expected(TEXT), 24000, 8000));
});

test('voice, instructions and speed go into the body; an explicit voice must be configured', async () => {
  const before = fake.requests.length;
  const speaker = tts({ voices: ['coral', { id: 'sage', languages: ['hi-IN'] }], instructions: 'Speak warmly, Indian English accent.', speed: 1.1 });
  await speaker.synthesize('hello there', { sampleRate: 8000 });
  await speaker.synthesize('नमस्ते', { sampleRate: 8000, language: 'hi' });
  assert.deepEqual(fake.requests[before]!.body, {
    model: 'gpt-4o-mini-tts',
    input: 'hello there',
    voice: 'coral',
    response_format: 'pcm',
    instructions: 'Speak warmly, Indian English accent.',
    speed: 1.1,
  });
  assert.equal((fake.requests[before + 1]!.body as { voice: string }).voice, 'sage');
  await assert.rejects(speaker.synthesize('hi', { sampleRate: 8000, voice: 'alloy' }), isCode('unknown-voice'));
  assert.deepEqual(
    tts().voices().map((v) => v.id),
    [...OPENAI_BUILTIN_VOICES],
  );
});

test('the first chunk is yielded while the provider is still holding back the rest', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 4801 });
  const before = fake.requests.length;
  const iterator = tts().stream(TEXT, { sampleRate: 8000 })[Symbol.asyncIterator]();
  const first = await iterator.next();
  assert.equal(first.done, false);
  const req = fake.requests[before]!;
  await req.stalled;
  assert.equal(req.bytesSent, 4801);
  assert.ok(req.bytesTotal > 4801);
  assert.ok(first.value.length <= 800, `${first.value.length} samples at 8 kHz from at most 2400 at 24 kHz`);
  fake.resume();
  const all: Int16Array[] = [first.value];
  for (let r = await iterator.next(); !r.done; r = await iterator.next()) all.push(r.value);
  assert.deepEqual(joined(all), resample(fake.expected(TEXT), 24000, 8000));
});

test('a wrong key is unauthorized with the message, never the key (not even its masked form)', async () => {
  const key = 'sk-proj-WRONGwrongWRONG1234';
  const err = await tts({ apiKey: key })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unauthorized')(err));
  const e = err as ProviderError;
  assert.match(e.message, /Incorrect API key provided/);
  assert.equal(e.details?.providerCode, 'invalid_api_key');
  assert.ok(!e.message.includes('WRONG') && !e.message.includes('1234'), e.message);
});

test('429 carries Retry-After; 500 is server; a dropped body is connection-lost', async () => {
  fake.failNext({ kind: 'rate-limit', retryAfterSec: 20 });
  const limited = await tts()
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('rate-limited')(limited));
  assert.equal((limited as ProviderError).details?.retryAfterSec, 20);
  assert.equal((limited as ProviderError).details?.providerCode, 'rate_limit_exceeded');

  fake.failNext({ kind: 'server' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('server')(e) && isRetryable(e));

  fake.failNext({ kind: 'drop', afterBytes: 5001 });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('connection-lost'));
});

test('a slow first byte is a timeout; a stall mid-way is a timeout', async () => {
  fake.failNext({ kind: 'stall', afterBytes: 0 });
  await assert.rejects(tts({ firstByteTimeoutMs: 40 }).synthesize(TEXT, { sampleRate: 8000 }), (e) => isCode('timeout')(e) && isRetryable(e));
  fake.failNext({ kind: 'stall', afterBytes: 999 });
  await assert.rejects(tts({ idleTimeoutMs: 40 }).synthesize(TEXT, { sampleRate: 8000 }), isCode('timeout'));
});

test('malformed answers are bad-response: JSON on a 200, or compressed audio instead of pcm', async () => {
  fake.failNext({ kind: 'answer', status: 200, body: '{"object":"list"}' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
  fake.failNext({ kind: 'answer', status: 200, body: 'ID3\u0004', contentType: 'audio/mpeg' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
  fake.failNext({ kind: 'answer', status: 418, body: '<html>teapot</html>', contentType: 'text/html' });
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000 }), isCode('bad-response'));
});

test('the provider refusing a voice it does not have is unknown-voice', async () => {
  const err = await tts({ voices: ['narrator-9'] })
    .synthesize(TEXT, { sampleRate: 8000 })
    .catch((e: unknown) => e);
  assert.ok(isCode('unknown-voice')(err));
  assert.match((err as Error).message, /Invalid value for 'voice'/);
});

test('input over 4096 characters, bad rates and bad options are refused before sending', async () => {
  const before = fake.requests.length;
  await assert.rejects(tts().synthesize('a'.repeat(4097), { sampleRate: 8000 }), isCode('invalid-input'));
  await assert.rejects(tts().synthesize(TEXT, { sampleRate: 8000.5 }), isCode('invalid-input'));
  assert.throws(() => tts({ model: 'tts-1', instructions: 'calm' }), isCode('invalid-input'));
  assert.throws(() => tts({ speed: 5 }), isCode('invalid-input'));
  assert.equal(fake.requests.length, before);
  const exactly = await tts().synthesize('a'.repeat(4096), { sampleRate: 8000 });
  assert.equal(exactly.samples.length, 1200, '4096 characters (one long word) are accepted');
});

test('fake: validates the body like the API', async () => {
  const post = (body: unknown, key = fake.apiKey) =>
    fetch(`${fake.baseUrl}/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  const error = async (res: Response) => ((await res.json()) as { error: { param: string | null; code: string | null } }).error;
  const noInput = await post({ model: 'tts-1', voice: 'alloy' });
  assert.equal(noInput.status, 400);
  assert.equal((await error(noInput)).param, 'input');
  const badFormat = await post({ model: 'tts-1', voice: 'alloy', input: 'hi', response_format: 'pcm16' });
  assert.equal(badFormat.status, 400);
  assert.equal((await error(badFormat)).param, 'response_format');
  const tooLong = await post({ model: 'tts-1', voice: 'alloy', input: 'a'.repeat(4097) });
  assert.equal((await error(tooLong)).code, 'string_above_max_length');
  const badModel = await post({ model: 'tts-2', voice: 'alloy', input: 'hi' });
  assert.equal(badModel.status, 404);
  const instructionsOnTts1 = await post({ model: 'tts-1', voice: 'alloy', input: 'hi', response_format: 'pcm', instructions: 'calm' });
  assert.equal(instructionsOnTts1.status, 400);
  const ok = await post({ model: 'tts-1', voice: 'alloy', input: 'one two three', response_format: 'pcm' });
  assert.equal(ok.status, 200);
  assert.equal((await ok.arrayBuffer()).byteLength, 3 * 3600 * 2);
});

test('hostile error bodies: a huge body is read only to 4 KB, a depth bomb or polluting keys give a plain summary', async () => {
  const { createServer } = await import('node:http');
  let served = 0;
  let answer: (res: import('node:http').ServerResponse) => void = () => {};
  const server = createServer((req, res) => {
    req.resume();
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/v1`;
  try {
    answer = (res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      const pump = () => {
        while (served < 64 * 1024 * 1024 && res.write(`{"e":"${'x'.repeat(16 * 1024)}",`)) served += 16 * 1024;
        if (served < 64 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      pump();
    };
    const huge = await tts({ baseUrl }).synthesize(TEXT, { sampleRate: 8000 }).catch((e: unknown) => e);
    assert.ok(isCode('server')(huge));
    assert.ok(served < 64 * 1024 * 1024, 'the rest of the body was left unread');
    assert.ok((huge as Error).message.length < 400);

    answer = (res) => res.writeHead(400, { 'content-type': 'application/json' }).end(`{"error":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    const deep = await tts({ baseUrl }).synthesize(TEXT, { sampleRate: 8000 }).catch((e: unknown) => e);
    assert.ok(isCode('invalid-input')(deep));
    assert.equal(isRetryable(deep), false);

    answer = (res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad input","param":"voice","__proto__":{"polluted":true}}}');
    const voice = await tts({ baseUrl }).synthesize(TEXT, { sampleRate: 8000 }).catch((e: unknown) => e);
    assert.ok(isCode('unknown-voice')(voice));
    assert.match((voice as Error).message, /HTTP 400: bad input$/);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
