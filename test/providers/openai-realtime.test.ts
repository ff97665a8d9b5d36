// The Realtime client against the local fake: URL/headers, both protocol shapes, server VAD, scripted responses,
// function calls, cancel/truncate, and the failure modes (401, HTTP errors, slow handshake, malformed messages,
// drop mid-reply, session limit, abort).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pcm16ToUlaw } from '../../src/audio/g711.js';
import { ProviderError } from '../../src/providers/errors.js';
import { connectRealtime, realtimeUrl, type RealtimeCloseInfo, type RealtimeConnection } from '../../src/providers/realtime/openai-realtime.js';
import type { RealtimeServerEvent, ServerEventOf } from '../../src/providers/realtime/realtime-events.js';
import type { RealtimeProtocol, RealtimeSessionConfig } from '../../src/providers/realtime/realtime-session.js';
import { startFakeRealtime, type FakeRealtimeServer, type FakeReply, type ScriptContext } from '../fakes/openai-realtime.js';

let fake: FakeRealtimeServer;
let script: (ctx: ScriptContext) => FakeReply = () => ({ text: 'Hello there.' });

before(async () => {
  fake = await startFakeRealtime({ apiKey: 'sk-good', script: (ctx) => script(ctx), transcribe: () => 'where is my order', msPerChar: 20, firstDeltaDelayMs: 10, deltaIntervalMs: 5 });
});
after(() => fake.close());

/** A connection whose events are collected; `next(type)` waits for the next one of a type. */
async function open(protocol: RealtimeProtocol = 'ga', extra: { signal?: AbortSignal } = {}) {
  const events: RealtimeServerEvent[] = [];
  const invalid: ProviderError[] = [];
  const waiters: Array<{ type: string; resolve: (e: RealtimeServerEvent) => void; from: number }> = [];
  let closeInfo: RealtimeCloseInfo | undefined;
  let onClosed: (i: RealtimeCloseInfo) => void = () => undefined;
  const closed = new Promise<RealtimeCloseInfo>((r) => (onClosed = r));
  const conn = await connectRealtime(
    { apiKey: 'sk-good', baseUrl: fake.url, model: 'gpt-realtime', protocol, ...extra },
    {
      onEvent: (e) => {
        events.push(e);
        for (const w of waiters.splice(0)) {
          if (w.type === e.type) w.resolve(e);
          else waiters.push(w);
        }
      },
      onInvalid: (err) => invalid.push(err),
      onClose: (info) => {
        closeInfo = info;
        onClosed(info);
      },
    },
  );
  let cursor = 0;
  function next<T extends RealtimeServerEvent['type']>(type: T): Promise<ServerEventOf<T>> {
    const i = events.findIndex((e, k) => k >= cursor && e.type === type);
    if (i >= 0) {
      cursor = i + 1;
      return Promise.resolve(events[i] as ServerEventOf<T>);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} event`)), 5000);
      waiters.push({
        type,
        from: events.length,
        resolve: (e) => {
          clearTimeout(timer);
          cursor = events.indexOf(e) + 1;
          resolve(e as ServerEventOf<T>);
        },
      });
    });
  }
  return { conn, events, invalid, next, closed, get closeInfo() { return closeInfo; } };
}

const ULAW_SESSION: RealtimeSessionConfig = {
  instructions: 'Be brief.',
  voice: 'marin',
  audioFormat: 'g711_ulaw',
  turnDetection: { type: 'server_vad', silenceDurationMs: 300, prefixPaddingMs: 100 },
  transcription: { model: 'gpt-4o-mini-transcribe' },
  tools: [{ name: 'order_status', description: 'Look up an order', parameters: { type: 'object', properties: { order_id: { type: 'string' } } } }],
};

/** 8 kHz mu-law: `ms` of a loud 300 Hz tone then `silenceMs` of silence, as 20 ms appends. */
function appendSpeech(conn: RealtimeConnection, ms: number, silenceMs: number): void {
  const frame = new Int16Array(160);
  let n = 0;
  for (let t = 0; t < ms + silenceMs; t += 20) {
    for (let i = 0; i < frame.length; i++, n++) frame[i] = t < ms ? Math.round(10000 * Math.sin((2 * Math.PI * 300 * n) / 8000)) : 0;
    conn.appendAudio(pcm16ToUlaw(frame));
  }
}

function decodedMs(deltas: string[], bytesPerMs: number): number {
  return deltas.reduce((sum, d) => sum + Buffer.from(d, 'base64').length, 0) / bytesPerMs;
}

describe('realtimeUrl', () => {
  it('derives ws(s) URLs from the REST base and carries the model', () => {
    assert.equal(realtimeUrl('https://api.openai.com/v1', 'gpt-realtime'), 'wss://api.openai.com/v1/realtime?model=gpt-realtime');
    assert.equal(realtimeUrl('http://127.0.0.1:9/v1/', 'm x'), 'ws://127.0.0.1:9/v1/realtime?model=m+x');
    assert.throws(() => realtimeUrl('ftp://x/v1', 'm'), (e: unknown) => e instanceof ProviderError && e.code === 'invalid-input');
  });
});

describe('OpenAI Realtime client against the fake', () => {
  it('GA: session.update with the nested shape, server VAD, transcription and a spoken response', async () => {
    const s = await open('ga');
    assert.equal(fake.upgrades.at(-1)?.beta, false);
    assert.equal(fake.upgrades.at(-1)?.model, 'gpt-realtime');
    s.conn.updateSession(ULAW_SESSION);
    const updated = await s.next('session.updated');
    const audio = (updated.session as { audio: { input: { format: { type: string } } } }).audio;
    assert.equal(audio.input.format.type, 'audio/pcmu');
    const server = fake.last!;
    assert.equal(server.format, 'g711_ulaw');
    assert.equal(server.turnDetection?.interrupt_response, false, 'the bridge handles barge-in itself');

    script = () => ({ text: 'Your order ships today.' });
    appendSpeech(s.conn, 400, 400);
    const started = await s.next('input_audio_buffer.speech_started');
    const stopped = await s.next('input_audio_buffer.speech_stopped');
    assert.ok(started.audio_start_ms >= 0 && stopped.audio_end_ms > started.audio_start_ms);
    const committed = await s.next('input_audio_buffer.committed');
    const transcript = await s.next('conversation.item.input_audio_transcription.completed');
    assert.equal(transcript.item_id, committed.item_id);
    assert.equal(transcript.transcript, 'where is my order');
    const created = await s.next('response.created');
    const done = await s.next('response.done');
    assert.equal(done.response.id, created.response.id);
    assert.equal(done.response.status, 'completed');
    const deltas = s.events.filter((e): e is ServerEventOf<'response.output_audio.delta'> => e.type === 'response.output_audio.delta');
    // 23 characters at 20 ms each, mu-law at 8 bytes per ms.
    assert.equal(decodedMs(deltas.map((d) => d.delta), 8), 23 * 20);
    const said = s.events.filter((e): e is ServerEventOf<'response.output_audio_transcript.delta'> => e.type === 'response.output_audio_transcript.delta').map((e) => e.delta).join('');
    assert.equal(said, 'Your order ships today.');
    const transcriptDone = s.events.find((e): e is ServerEventOf<'response.output_audio_transcript.done'> => e.type === 'response.output_audio_transcript.done');
    assert.equal(transcriptDone?.transcript, 'Your order ships today.');
    assert.ok(s.events.some((e) => e.type === 'rate_limits.updated'));
    assert.equal(s.invalid.length, 0);
    await s.conn.close();
    assert.equal((await s.closed).requested, true);
  });

  it('beta: OpenAI-Beta header, flat session shape and the beta event names arrive under GA names', async () => {
    const s = await open('beta');
    assert.equal(fake.upgrades.at(-1)?.beta, true);
    s.conn.updateSession({ ...ULAW_SESSION, audioFormat: 'pcm16', turnDetection: null });
    const updated = await s.next('session.updated');
    assert.equal((updated.session as { input_audio_format: string }).input_audio_format, 'pcm16');
    assert.equal(fake.last!.turnDetection, null);
    script = () => ({ text: 'Hi.' });
    s.conn.createResponse({ instructions: 'Greet the caller.' });
    await s.next('response.done');
    const deltas = s.events.filter((e): e is ServerEventOf<'response.output_audio.delta'> => e.type === 'response.output_audio.delta');
    assert.ok(deltas.length > 0, 'response.audio.delta normalised to response.output_audio.delta');
    // Output shorter than one delta is padded up to the 100 ms minimum; PCM16 at 24 kHz is 48 bytes per ms.
    assert.equal(decodedMs(deltas.map((d) => d.delta), 48), 100);
    assert.ok(s.events.some((e) => e.type === 'conversation.item.added'), 'conversation.item.created normalised');
    await s.conn.close();
  });

  it('manual turns: commit with too little audio is an error event; commit + response.create works', async () => {
    const s = await open('ga');
    s.conn.updateSession({ ...ULAW_SESSION, turnDetection: null });
    await s.next('session.updated');
    appendSpeech(s.conn, 40, 0);
    s.conn.commitAudio();
    const err = await s.next('error');
    assert.equal(err.error.code, 'input_audio_buffer_commit_empty');
    appendSpeech(s.conn, 300, 100);
    s.conn.commitAudio();
    await s.next('input_audio_buffer.committed');
    assert.ok(!s.events.some((e) => e.type === 'input_audio_buffer.speech_started'), 'no server VAD with turn_detection null');
    script = (ctx) => ({ text: `You said ${ctx.lastUserText}` });
    s.conn.createResponse();
    const tr = await s.next('response.output_audio_transcript.done');
    assert.equal(tr.transcript, 'You said where is my order');
    await s.conn.close();
  });

  it('function call round trip: arguments.done, function_call_output, then a new response that sees the output', async () => {
    const s = await open('ga');
    s.conn.updateSession({ ...ULAW_SESSION, turnDetection: null });
    await s.next('session.updated');
    script = (ctx) => (ctx.toolOutputs.length ? { text: `It is ${JSON.parse(ctx.toolOutputs[0].output).status}.` } : { functionCall: { name: 'order_status', arguments: { order_id: '42' } } });
    s.conn.createResponse();
    const call = await s.next('response.function_call_arguments.done');
    assert.equal(call.name, 'order_status');
    assert.deepEqual(JSON.parse(call.arguments), { order_id: '42' });
    await s.next('response.done');
    s.conn.createItem({ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ status: 'shipped' }) });
    s.conn.createResponse();
    assert.equal((await s.next('response.output_audio_transcript.done')).transcript, 'It is shipped.');
    // An output for a call that does not exist is refused.
    s.conn.createItem({ type: 'function_call_output', call_id: 'call_nope', output: '{}' });
    assert.match((await s.next('error')).error.message ?? '', /call_nope/);
    await s.conn.close();
  });

  it('cancel stops the audio (response.done cancelled); truncate is checked against the audio sent', async () => {
    const s = await open('ga');
    s.conn.updateSession({ ...ULAW_SESSION, turnDetection: null });
    await s.next('session.updated');
    script = () => ({ text: 'x'.repeat(200), deltaIntervalMs: 30 }); // 4 s of audio, 100 ms per 30 ms
    s.conn.createResponse();
    const first = await s.next('response.output_audio.delta');
    await s.next('response.output_audio.delta');
    s.conn.cancelResponse();
    const done = await s.next('response.done');
    assert.equal(done.response.status, 'cancelled');
    const sent = decodedMs(s.events.filter((e): e is ServerEventOf<'response.output_audio.delta'> => e.type === 'response.output_audio.delta').map((e) => e.delta), 8);
    assert.ok(sent < 4000, `stopped early (${sent} ms sent)`);
    s.conn.truncate(first.item_id, 0, sent + 100);
    assert.match((await s.next('error')).error.message ?? '', /shorter than/);
    s.conn.truncate(first.item_id, 0, 150);
    const truncated = await s.next('conversation.item.truncated');
    assert.equal(truncated.audio_end_ms, 150);
    assert.deepEqual(fake.last!.truncates.map((t) => [t.audioEndMs, t.accepted]), [[sent + 100, false], [150, true]]);
    // Cancelling with nothing in progress is an error the bridge must tolerate.
    s.conn.cancelResponse();
    assert.equal((await s.next('error')).error.code, 'response_cancel_not_active');
    await s.conn.close();
  });

  it('refuses a wrong key with 401 on the upgrade; the key never appears in the error', async () => {
    await assert.rejects(connectRealtime({ apiKey: 'sk-wrong-secret', baseUrl: fake.url }, { onEvent: () => undefined }), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.code, 'unauthorized');
      assert.equal(e.details?.status, 401);
      assert.ok(!e.message.includes('sk-wrong-secret'));
      return true;
    });
  });

  it('maps an invalid_api_key error event (accepted upgrade) to unauthorized', async () => {
    const other = await startFakeRealtime({ apiKey: 'sk-good', authFailure: 'error-event', script: () => ({}) });
    try {
      await assert.rejects(connectRealtime({ apiKey: 'sk-bad', baseUrl: other.url }, { onEvent: () => undefined }), (e: unknown) => e instanceof ProviderError && e.code === 'unauthorized');
    } finally {
      await other.close();
    }
  });

  it('maps HTTP 429 and 500 on the upgrade', async () => {
    fake.failNextUpgrades(429);
    await assert.rejects(connectRealtime({ apiKey: 'sk-good', baseUrl: fake.url }, { onEvent: () => undefined }), (e: unknown) => e instanceof ProviderError && e.code === 'rate-limited' && e.details?.retryAfterSec === 2);
    fake.failNextUpgrades(500);
    await assert.rejects(connectRealtime({ apiKey: 'sk-good', baseUrl: fake.url }, { onEvent: () => undefined }), (e: unknown) => e instanceof ProviderError && e.code === 'server');
  });

  it('times out a slow handshake, and aborts at once', async () => {
    const slow = await startFakeRealtime({ apiKey: 'sk-good', upgradeDelayMs: 1000, script: () => ({}) });
    try {
      await assert.rejects(connectRealtime({ apiKey: 'sk-good', baseUrl: slow.url, connectTimeoutMs: 100 }, { onEvent: () => undefined }), (e: unknown) => e instanceof ProviderError && e.code === 'timeout');
      const ac = new AbortController();
      const pending = connectRealtime({ apiKey: 'sk-good', baseUrl: slow.url, signal: ac.signal }, { onEvent: () => undefined });
      setTimeout(() => ac.abort(), 20);
      await assert.rejects(pending, (e: unknown) => e instanceof DOMException && e.name === 'AbortError');
    } finally {
      await slow.close();
    }
  });

  it('a malformed message is reported as bad-response and the session goes on', async () => {
    const s = await open('ga');
    fake.last!.sendRaw('{not json');
    fake.last!.sendRaw(JSON.stringify({ type: 'response.output_audio.delta', delta: 5 }));
    fake.last!.sendRaw(JSON.stringify({ type: 'some.future_event', x: 1 }));
    s.conn.updateSession(ULAW_SESSION);
    await s.next('session.updated');
    assert.equal(s.invalid.length, 2);
    assert.ok(s.invalid.every((e) => e.code === 'bad-response'));
    assert.equal(s.conn.stats.ignored, 1);
    await s.conn.close();
  });

  it('hostile events: a depth bomb and polluting keys are bad-response, an oversized frame ends the session as bad-response', async () => {
    const s = await open('ga');
    fake.last!.sendRaw(`{"type":"response.done","response":${'['.repeat(50_000)}${']'.repeat(50_000)}}`);
    fake.last!.sendRaw('{"type":"some.future_event","__proto__":{"polluted":true}}');
    s.conn.updateSession(ULAW_SESSION);
    await s.next('session.updated');
    assert.equal(s.invalid.length, 1);
    assert.equal(s.invalid[0]!.code, 'bad-response');
    assert.match(s.invalid[0]!.message, /JSON limits.*deeper than/);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    assert.equal(s.conn.stats.ignored, 1);
    fake.last!.sendRaw(JSON.stringify({ type: 'response.output_audio.delta', delta: 'A'.repeat(5 * 1024 * 1024) }));
    await s.closed;
    assert.equal(s.closeInfo?.requested, false);
    assert.equal(s.closeInfo?.error?.code, 'bad-response');
    assert.match(s.closeInfo?.error?.message ?? '', /larger than 4194304 bytes/);
  });

  it('a drop mid-reply closes with connection-lost', async () => {
    const s = await open('ga');
    s.conn.updateSession({ ...ULAW_SESSION, turnDetection: null });
    await s.next('session.updated');
    script = () => ({ text: 'x'.repeat(100), dropAfterDeltas: 2 });
    s.conn.createResponse();
    const info = await s.closed;
    assert.equal(info.requested, false);
    assert.equal(info.error?.code, 'connection-lost');
    assert.equal(s.events.filter((e) => e.type === 'response.output_audio.delta').length, 2);
    assert.equal(s.conn.isOpen, false);
    assert.equal(s.conn.createResponse(), false, 'sending on a closed connection is a no-op');
  });

  it('the session limit: session_expired error then close', async () => {
    const short = await startFakeRealtime({ apiKey: 'sk-good', maxSessionMs: 150, script: () => ({}) });
    try {
      let expired: ServerEventOf<'error'> | undefined;
      const closed = new Promise<RealtimeCloseInfo>((resolve) => {
        void connectRealtime({ apiKey: 'sk-good', baseUrl: short.url }, { onEvent: (e) => e.type === 'error' && (expired = e), onClose: resolve });
      });
      const info = await closed;
      assert.equal(expired?.error.code, 'session_expired');
      assert.equal(info.error?.details?.providerCode, 'session_expired');
    } finally {
      await short.close();
    }
  });

  it('aborting the signal closes an open session', async () => {
    const ac = new AbortController();
    const s = await open('ga', { signal: ac.signal });
    ac.abort();
    assert.equal((await s.closed).requested, true);
  });
});
