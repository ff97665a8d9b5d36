import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, writeWav } from '../../src/audio/wav.js';
import { simulateCall } from '../../src/sim/index.js';
import { countMarked, frames, marked, startBot } from './bot-server.js';

test('simulateCall: the bot hangs up first; the played audio is written as WAV', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sim-'));
  const bot = await startBot((conn) => {
    void conn.sendPaced(frames(marked(3200, 700), 3200), 200).then(() => conn.sendMark('bye'));
    void conn.next((m) => m.event === 'mark').then(() => conn.ws.close(1000, 'done'));
  });
  t.after(async () => {
    await bot.close();
    await rm(dir, { recursive: true, force: true });
  });
  const out = join(dir, 'heard.wav');
  const report = await simulateCall({ url: bot.wsUrl(), durationMs: 30_000, outWav: out });
  assert.equal(report.endedBy, 'bot');
  assert.equal(report.closeCode, 1000);
  assert.equal(report.closeReason, 'done');
  assert.deepEqual(report.violations, []);
  const wav = readWav(await readFile(out));
  assert.equal(wav.sampleRate, 8000);
  assert.deepEqual(wav.samples, report.playedAudio);
  assert.equal(countMarked(wav.samples, 700), 3200);
  assert.ok(!bot.connections[0].received.some((m) => m.event === 'stop'), 'no stop after the bot closed');
});

test('simulateCall: caller WAV at another rate is resampled to the stream rate', async (t) => {
  const bot = await startBot(() => undefined);
  t.after(() => bot.close());
  const tone = Int16Array.from({ length: 16_000 / 2 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)));
  const report = await simulateCall({
    url: bot.wsUrl(),
    durationMs: 700,
    audio: writeWav(tone, 16_000), // 0.5 s at 16 kHz
    dtmf: [{ digit: '9', atMs: 200 }],
  });
  assert.equal(report.endedBy, 'caller');
  assert.ok(Math.abs(report.callerMedia.audioMs - 500) <= 20, `caller audio ${report.callerMedia.audioMs} ms`);
  const received = bot.connections[0].received;
  const pcm = Buffer.concat(received.filter((m) => m.event === 'media').map((m) => Buffer.from(m.media.payload, 'base64')));
  const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
  let peak = 0;
  for (let i = 0; i < 3000; i++) peak = Math.max(peak, Math.abs(samples[i]));
  assert.ok(peak > 6000 && peak < 9000, `peak ${peak}`);
  assert.deepEqual(received.filter((m) => m.event === 'dtmf').map((m) => m.dtmf.digit), ['9']);
});
