// LiveTranscriber against the real Deepgram adapter and the fake Deepgram server (a local WebSocket server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveTranscriber } from '../../src/conversation/live-transcriber.js';
import { DeepgramSpeechToText } from '../../src/providers/stt/deepgram.js';
import { startFakeDeepgram } from '../fakes/deepgram.js';

test('close() sends the audio still waiting to fill a batch before it ends the stream', { timeout: 20_000 }, async () => {
  const fake = await startFakeDeepgram();
  const ac = new AbortController();
  try {
    const transcriber = new LiveTranscriber({
      stt: new DeepgramSpeechToText({ apiKey: 'test-key', baseUrl: fake.baseUrl }),
      sampleRate: 8000,
      signal: ac.signal,
      onTranscript: () => {},
      onFailure: (r) => assert.fail(`unexpected failure: ${JSON.stringify(r)}`),
      onDead: () => assert.fail('stream died'),
      now: () => performance.now(),
    });
    const conn = await fake.nextConnection();
    // Seven 20 ms frames: two full 60 ms batches and 20 ms that would fill the third.
    for (let i = 0; i < 7; i++) transcriber.write(new Int16Array(160).fill(i + 1));
    transcriber.close();
    await conn.waitForControl('CloseStream');
    const audio = conn.audio;
    assert.equal(audio.length, 7 * 160 * 2, 'every sample written reached the provider');
    assert.equal(audio.readInt16LE(audio.length - 2), 7, 'the last frame is the last audio sent');
    assert.equal(conn.received.at(-1)?.kind, 'control', 'CloseStream follows the audio');
  } finally {
    ac.abort();
    await fake.close();
  }
});
