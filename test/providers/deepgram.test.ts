import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/providers/errors.js';
import { DeepgramSpeechToText, listenUrl, type DeepgramSttOptions, type Ticker } from '../../src/providers/stt/deepgram.js';
import type { SttEvent, SttStreamOptions } from '../../src/providers/types.js';
import { startFakeDeepgram, type FakeDeepgram, type FakeDeepgramOptions } from '../fakes/deepgram.js';
import { collector, errOf, tone as toneAt, writeFrames as writeFramesAt } from '../helpers/stt-events.js';

const RATE = 8000;
const FRAME = RATE / 50; // 20 ms
const T = { timeout: 15_000 };

const tone = (ms: number, amplitude = 8000) => toneAt(ms, RATE, amplitude);

function silence(ms: number): Int16Array {
  return new Int16Array((ms * RATE) / 1000);
}

const writeFrames = (stream: { write(a: Int16Array): void }, ...parts: Int16Array[]) => writeFramesAt(stream, RATE, ...parts);

const isFinal = (e: SttEvent) => e.type === 'transcript' && e.final;

function samples(bytes: Buffer): Int16Array {
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
const isError = (e: SttEvent) => e.type === 'error';

async function withFake(opts: FakeDeepgramOptions, fn: (fake: FakeDeepgram) => Promise<void>): Promise<void> {
  const fake = await startFakeDeepgram({ script: [{ interims: ['hello'], final: 'hello there', confidence: 0.91 }], ...opts });
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

function stt(fake: FakeDeepgram, opts: Partial<DeepgramSttOptions> = {}): DeepgramSpeechToText {
  return new DeepgramSpeechToText({ apiKey: 'test-key', baseUrl: fake.baseUrl, keepAliveIntervalMs: 0, ...opts });
}

function streamOpts(onEvent: (e: SttEvent) => void, extra: Partial<SttStreamOptions> = {}): SttStreamOptions {
  return { sampleRate: RATE, onEvent, ...extra };
}

test('happy path: speech-started, interim, final with speech_final, utterance-end, documented query', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { endpointingMs: 100, utteranceEndMs: 1000 }).open(
      streamOpts(c.onEvent, { language: 'en-IN', keywords: ['Exotel', 'front desk'] }),
    );
    const conn = fake.connections[0]!;
    writeFrames(stream, silence(200), tone(600), silence(1200));
    await c.waitFor((e) => e.type === 'utterance-end');
    assert.deepEqual(c.events, [
      { type: 'speech-started', atMs: 200 },
      { type: 'transcript', text: 'hello', final: false, speechFinal: false, confidence: 0.91, startMs: 200, endMs: 400 },
      { type: 'transcript', text: 'hello there', final: true, speechFinal: true, confidence: 0.91, startMs: 200, endMs: 800 },
      { type: 'utterance-end', atMs: 800 },
    ]);
    const q = conn.query;
    assert.equal(q.get('encoding'), 'linear16');
    assert.equal(q.get('sample_rate'), '8000');
    assert.equal(q.get('channels'), '1');
    assert.equal(q.get('model'), 'nova-3');
    assert.equal(q.get('language'), 'en-IN');
    assert.equal(q.get('interim_results'), 'true');
    assert.equal(q.get('vad_events'), 'true');
    assert.equal(q.get('smart_format'), 'true');
    assert.equal(q.get('endpointing'), '100');
    assert.equal(q.get('utterance_end_ms'), '1000');
    assert.deepEqual(q.getAll('keyterm'), ['Exotel', 'front desk']);
    assert.equal(q.has('keywords'), false);
    assert.equal(stream.stats.requestId, conn.requestId);
    await stream.close();
    assert.equal((await conn.closed).code, 1000);
    assert.equal(c.events.filter(isError).length, 0);
  });
});

test('older models get single-word keywords instead of keyterm', T, async () => {
  await withFake({}, async (fake) => {
    const stream = await stt(fake, { model: 'nova-2' }).open(streamOpts(() => {}, { keywords: ['Exotel', 'front desk', 'desk'] }));
    const q = fake.connections[0]!.query;
    assert.deepEqual(q.getAll('keywords'), ['Exotel', 'front', 'desk']);
    assert.equal(q.has('keyterm'), false);
    await stream.close();
  });
});

test('finalize() sends Finalize after the audio and yields the pending final', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(streamOpts(c.onEvent));
    const conn = fake.connections[0]!;
    writeFrames(stream, tone(300));
    stream.finalize();
    const final = await c.waitFor(isFinal);
    assert.deepEqual(final, { type: 'transcript', text: 'hello there', final: true, speechFinal: false, confidence: 0.91, startMs: 0, endMs: 300 });
    assert.deepEqual(conn.received.at(-1), { kind: 'control', type: 'Finalize' });
    assert.equal(conn.received.filter((r) => r.kind === 'audio').length, 15);
    await stream.close();
  });
});

test('close() sends CloseStream, delivers the flushed final, resolves once Deepgram closed', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(streamOpts(c.onEvent));
    const conn = fake.connections[0]!;
    writeFrames(stream, tone(300));
    await stream.close();
    assert.deepEqual(conn.controls, ['CloseStream']);
    assert.equal((await conn.closed).code, 1000);
    assert.equal(c.events.filter(isFinal).map((e) => e.type === 'transcript' && e.text)[0], 'hello there');
    assert.equal(c.events.filter(isError).length, 0);
    const received = conn.received.length;
    stream.write(tone(20)); // after close: ignored, not thrown
    stream.finalize();
    await stream.close(); // idempotent
    assert.equal(conn.received.length, received);
  });
});

test('KeepAlive goes out only on ticks with nothing else sent', T, async () => {
  await withFake({}, async (fake) => {
    let tick: (() => void) | undefined;
    const ticker: Ticker = (_ms, fn) => {
      tick = fn;
      return () => (tick = undefined);
    };
    const stream = await stt(fake, { keepAliveIntervalMs: 1000, ticker }).open(streamOpts(() => {}));
    const conn = fake.connections[0]!;
    writeFrames(stream, silence(20));
    tick!(); // audio went out since the start: no KeepAlive
    tick!(); // idle for a whole interval: KeepAlive
    stream.finalize();
    tick!(); // Finalize counts as traffic
    writeFrames(stream, silence(20));
    stream.finalize();
    await conn.waitForControl('Finalize');
    while (conn.controls.length < 3) await new Promise((r) => setImmediate(r));
    assert.deepEqual(conn.controls, ['KeepAlive', 'Finalize', 'Finalize']);
    assert.equal(stream.stats.keepAlives, 1);
    await stream.close();
    assert.equal(tick, undefined, 'the ticker is stopped on close');
  });
});

test('KeepAlive is sent on an idle stream with the real timer', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { keepAliveIntervalMs: 20 }).open(streamOpts(c.onEvent));
    const conn = fake.connections[0]!;
    await conn.waitForControl('KeepAlive');
    assert.ok(stream.stats.keepAlives >= 1);
    await stream.close();
    assert.equal((await conn.closed).code, 1000);
    assert.equal(c.events.filter(isError).length, 0);
  });
});

test('an idle stream closed by Deepgram (1011 NET-0001) is a fatal error', T, async () => {
  await withFake({ idleTimeoutMs: 30 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(streamOpts(c.onEvent));
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && e.fatal);
    const err = errOf(e);
    assert.equal(err.code, 'connection-lost');
    assert.equal(err.details?.closeCode, 1011);
    assert.match(String(err.details?.reason), /net0001/);
    await stream.close();
  });
});

test('401: open() rejects unauthorized without leaking the key', T, async () => {
  await withFake({}, async (fake) => {
    const err = await stt(fake, { apiKey: 'sk-wrong-secret-123' }).open(streamOpts(() => {})).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError);
    assert.equal(err.code, 'unauthorized');
    assert.match(err.message, /401.*Invalid credentials/);
    assert.doesNotMatch(JSON.stringify({ m: err.message, d: err.details }), /sk-wrong-secret-123/);
    assert.equal(fake.attempts[0]!.status, 401);
    assert.equal(fake.connections.length, 0);
  });
});

test('connect(): a refused upgrade rejects ready and is reported as a fatal event', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = stt(fake, { apiKey: 'nope' }).connect(streamOpts(c.onEvent));
    stream.write(tone(20));
    await assert.rejects(stream.ready, (e: unknown) => e instanceof ProviderError && e.code === 'unauthorized');
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && e.fatal && errOf(e).code === 'unauthorized');
    await stream.close();
  });
});

test('429, 5xx and 400 refusals map to rate-limited, server and invalid-input', T, async () => {
  await withFake({}, async (fake) => {
    fake.refuseNext(429, { retryAfterSec: 7 });
    const limited = await stt(fake).open(streamOpts(() => {})).catch((e: unknown) => e);
    assert.ok(limited instanceof ProviderError && limited.code === 'rate-limited');
    assert.equal(limited.details?.retryAfterSec, 7);
    fake.refuseNext(503);
    const server = await stt(fake).open(streamOpts(() => {})).catch((e: unknown) => e);
    assert.ok(server instanceof ProviderError && server.code === 'server');
    const bad = await stt(fake, { model: 'nova-9' }).open(streamOpts(() => {})).catch((e: unknown) => e);
    assert.ok(bad instanceof ProviderError && bad.code === 'invalid-input');
    assert.match(bad.message, /No such model/);
    assert.equal(typeof bad.details?.requestId, 'string');
  });
});

test('a slow upgrade times out', T, async () => {
  await withFake({ upgradeDelayMs: 5000 }, async (fake) => {
    const err = await stt(fake, { connectTimeoutMs: 50 }).open(streamOpts(() => {})).catch((e: unknown) => e);
    assert.ok(err instanceof ProviderError && err.code === 'timeout');
  });
});

test('a connection dropped mid-stream is a fatal connection-lost error', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(streamOpts(c.onEvent));
    writeFrames(stream, tone(100));
    fake.connections[0]!.drop();
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && e.fatal);
    assert.equal(errOf(e).code, 'connection-lost');
    assert.equal(errOf(e).details?.closeCode, 1006);
    writeFrames(stream, tone(100)); // the stream is gone: writes are dropped, never thrown
    await stream.close();
    assert.equal(c.events.filter(isError).length, 1);
  });
});

test('dropAfterMs in the fake drops the stream', T, async () => {
  await withFake({ dropAfterMs: 20 }, async (fake) => {
    const c = collector();
    await stt(fake).open(streamOpts(c.onEvent));
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && e.fatal && errOf(e).code === 'connection-lost');
  });
});

test('undecodable audio (1008 DATA-0000) is fatal invalid-input and never reconnects', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    await stt(fake, { reconnect: true }).open(streamOpts(c.onEvent));
    fake.connections[0]!.closeWith(1008, 'DATA-0000');
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && e.fatal && errOf(e).code === 'invalid-input');
    assert.equal(fake.attempts.length, 1);
  });
});

test('reconnect: one drop is survived, buffered audio flows on, times continue', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { reconnect: true, endpointingMs: 100 }).open(streamOpts(c.onEvent));
    writeFrames(stream, tone(300), silence(300));
    await c.waitFor(isFinal);
    fake.connections[0]!.drop();
    const e = await c.waitFor(isError);
    assert.ok(e.type === 'error' && !e.fatal && errOf(e).code === 'connection-lost');
    writeFrames(stream, silence(100), tone(300), silence(300)); // while reconnecting: buffered
    const second = await c.waitForNth(isFinal, 2);
    assert.equal(fake.connections.length, 2);
    // The second connection's clock starts at 0; 600 ms of audio went to the first one.
    assert.deepEqual(second, { type: 'transcript', text: 'hello there', final: true, speechFinal: true, confidence: 0.91, startMs: 700, endMs: 1000 });
    assert.equal(stream.stats.reconnects, 1);
    assert.equal(stream.stats.droppedSamples, 0);
    await stream.close();
  });
});

test('reconnect that is refused ends in a fatal error', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    await stt(fake, { reconnect: true }).open(streamOpts(c.onEvent));
    fake.refuseNext(503);
    fake.connections[0]!.drop();
    const fatal = await c.waitFor((e) => e.type === 'error' && e.fatal);
    assert.equal(errOf(fatal).code, 'server');
    assert.deepEqual(c.events.filter(isError).map((e) => e.type === 'error' && e.fatal), [false, true]);
  });
});

test('malformed messages are non-fatal bad-response errors; unknown types are ignored', T, async () => {
  await withFake({ malformedAfterMs: 0 }, async (fake) => {
    const c = collector();
    const stream = await stt(fake).open(streamOpts(c.onEvent));
    const conn = fake.connections[0]!;
    await c.waitFor(isError); // the truncated JSON malformedAfterMs sent
    conn.sendRaw(JSON.stringify({ type: 'Results', start: 0 })); // no channel
    conn.sendRaw(JSON.stringify({ no: 'type' }));
    conn.sendRaw(JSON.stringify({ type: 'SomethingNew', x: 1 }));
    writeFrames(stream, tone(300), silence(300));
    const final = await c.waitFor(isFinal);
    assert.equal(final.type === 'transcript' && final.text, 'hello there');
    const errors = c.events.filter(isError);
    assert.equal(errors.length, 3);
    for (const e of errors) {
      assert.ok(e.type === 'error' && !e.fatal && errOf(e).code === 'bad-response');
    }
    await stream.close();
  });
});

test('abort mid-stream (the call hung up) silences the stream and ends it with CloseStream, not a dropped socket', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const ac = new AbortController();
    const stream = await stt(fake).open(streamOpts(c.onEvent, { signal: ac.signal }));
    const conn = fake.connections[0]!;
    writeFrames(stream, tone(300));
    ac.abort();
    const seen = c.events.length;
    // Deepgram flushes its last results and closes normally; nobody hears them any more.
    assert.equal((await conn.closed).code, 1000);
    await stream.close();
    assert.deepEqual(conn.controls, ['CloseStream']);
    writeFrames(stream, tone(100));
    assert.equal(c.events.length, seen);
    assert.equal(conn.received.filter((r) => r.kind === 'audio').length, 15, 'no audio after the abort');
  });
});

test('a Deepgram that never answers CloseStream is dropped after closeTimeoutMs', T, async () => {
  await withFake({}, async (fake) => {
    const stream = await stt(fake, { closeTimeoutMs: 50 }).open(streamOpts(() => {}));
    const conn = fake.connections[0]!;
    conn.ignoreControls = true;
    const t0 = performance.now();
    await stream.close();
    assert.ok(performance.now() - t0 >= 40, 'waited for the close bound');
    assert.deepEqual(conn.controls, ['CloseStream']);
    assert.equal((await conn.closed).code, 1006);
  });
});

test('hostile messages: a depth bomb, polluting keys and an oversized message are refused, never thrown', T, async () => {
  await withFake({}, async (fake) => {
    const c = collector();
    const stream = await stt(fake, { reconnect: true }).open(streamOpts(c.onEvent));
    const conn = fake.connections[0]!;
    conn.sendRaw(`{"type":"Results","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const depth = errOf(await c.waitFor(isError));
    assert.equal(depth.code, 'bad-response');
    assert.match(depth.message, /JSON limits.*deeper than/);
    // Polluting keys are dropped, the rest of the message still counts.
    conn.sendRaw('{"type":"SpeechStarted","timestamp":0.25,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    const started = await c.waitFor((e) => e.type === 'speech-started');
    assert.deepEqual(started, { type: 'speech-started', atMs: 250 });
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    // Over the message cap: ws refuses it (1009), a fatal bad-response that no reconnect can fix.
    conn.sendRaw(JSON.stringify({ type: 'Metadata', pad: 'x'.repeat(1.5 * 1024 * 1024) }));
    const fatal = await c.waitFor((e) => e.type === 'error' && e.fatal);
    assert.equal(errOf(fatal).code, 'bad-response');
    assert.match(errOf(fatal).message, /larger than 1048576 bytes/);
    assert.equal(fake.attempts.length, 1);
    await stream.close();
  });
});

test('abort while connecting rejects open() with the abort reason', T, async () => {
  await withFake({ upgradeDelayMs: 5000 }, async (fake) => {
    const ac = new AbortController();
    const opening = stt(fake).open(streamOpts(() => {}, { signal: ac.signal }));
    setImmediate(() => ac.abort());
    await assert.rejects(opening, { name: 'AbortError' });
    await assert.rejects(stt(fake).open(streamOpts(() => {}, { signal: AbortSignal.abort() })), { name: 'AbortError' });
  });
});

test('audio written while connecting is delivered in order, then live audio follows', T, async () => {
  await withFake({ upgradeDelayMs: 30 }, async (fake) => {
    const stream = stt(fake).connect(streamOpts(() => {}));
    const expected = new Int16Array(FRAME * 30);
    for (let i = 0; i < expected.length; i++) expected[i] = (i * 7) % 30000;
    writeFrames(stream, expected.subarray(0, FRAME * 20));
    stream.write(new Int16Array(0)); // never sent: an empty frame would end the stream
    stream.finalize();
    await stream.ready;
    writeFrames(stream, expected.subarray(FRAME * 20));
    stream.finalize();
    const conn = fake.connections[0]!;
    while (conn.controls.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(samples(conn.audio), expected);
    assert.deepEqual(conn.received.filter((r) => r.kind === 'control').length, 2);
    assert.equal(conn.received.findIndex((r) => r.kind === 'control'), 1, 'buffered audio, then the buffered Finalize');
    assert.equal(stream.stats.droppedSamples, 0);
    await stream.close();
  });
});

test('the connect buffer is bounded: oldest audio is dropped and counted', T, async () => {
  await withFake({ upgradeDelayMs: 30 }, async (fake) => {
    const stream = stt(fake, { maxBufferedMs: 100 }).connect(streamOpts(() => {}));
    const written = new Int16Array(FRAME * 9); // 1440 samples into an 800-sample ring: it wraps
    for (let i = 0; i < written.length; i++) written[i] = i;
    writeFrames(stream, written);
    await stream.ready;
    stream.finalize();
    const conn = fake.connections[0]!;
    await conn.waitForControl('Finalize');
    const got = samples(conn.audio);
    assert.deepEqual(got, written.subarray(written.length - 800));
    assert.equal(stream.stats.droppedSamples, written.length - 800);
    await stream.close();
  });
});

test('invalid sample rates and base URLs are rejected up front', () => {
  assert.throws(() => new DeepgramSpeechToText({ apiKey: 'k' }).connect(streamOpts(() => {}, { sampleRate: 0 })), { code: 'invalid-input' });
  assert.throws(() => new DeepgramSpeechToText({ apiKey: '' }), { code: 'unauthorized' });
  assert.equal(listenUrl('https://api.deepgram.com/'), 'wss://api.deepgram.com/v1/listen');
  assert.equal(listenUrl('http://127.0.0.1:9/'), 'ws://127.0.0.1:9/v1/listen');
  assert.throws(() => listenUrl('ftp://x'), { code: 'invalid-input' });
});
