import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWav } from '../../src/audio/wav.js';
import { writeFile } from 'node:fs/promises';
import { parseDtmfSchedule, simulateCommand, type CliIo } from '../../src/cli/simulate.js';
import { frames, marked, startBot } from './bot-server.js';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) };
  return io;
}

test('parseDtmfSchedule', () => {
  assert.deepEqual(parseDtmfSchedule('1@3.5,#@5'), [
    { digit: '1', atMs: 3500 },
    { digit: '#', atMs: 5000 },
  ]);
  assert.throws(() => parseDtmfSchedule('x@1'));
});

test('simulate CLI: clean bot exits 0, JSON report; flags reach the wire', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sim-cli-'));
  const bot = await startBot((conn) => {
    void conn.sendPaced(frames(marked(3200, 500), 3200), 200).then(() => conn.sendMark('end'));
    void conn.next((m) => m.event === 'mark').then(() => conn.ws.close(1000));
  });
  t.after(async () => {
    await bot.close();
    await rm(dir, { recursive: true, force: true });
  });
  const wav = join(dir, 'in.wav');
  await writeFile(wav, writeWav(new Int16Array(1600).fill(300), 16000));
  const io = capture();
  const code = await simulateCommand(
    [
      '--url', bot.wsUrl('/media'), '--sample-rate', '16000', '--agent', 'sales', '--duration', '5',
      '--frame-ms', '20', '--dtmf', '7@0.1', '--token', 'abc', '--wav', wav, '--json',
    ],
    io,
  );
  assert.equal(code, 0, io.stderr);
  const report = JSON.parse(io.stdout);
  assert.equal(report.endedBy, 'bot');
  assert.equal(report.sampleRate, 16000);
  assert.deepEqual(report.violations, []);
  assert.equal(typeof report.playedAudio.samples, 'number');
  assert.equal(bot.upgrades[0].url, '/media?sample-rate=16000&agent=sales');
  assert.equal(bot.upgrades[0].headers.authorization, 'Bearer abc');
  const received = bot.connections[0].received;
  assert.deepEqual(received[1].start.custom_parameters, { agent: 'sales' });
  assert.equal(Buffer.from(received[2].media.payload, 'base64').length, 640);
});

test('simulate CLI: violations exit 1 with a readable timeline; bad flags exit 2', async (t) => {
  const bot = await startBot((conn) => {
    conn.sendMedia(Buffer.alloc(4096));
    conn.sendMark('end');
    void conn.next((m) => m.event === 'mark').then(() => conn.ws.close(1000));
  });
  t.after(() => bot.close());
  const io = capture();
  assert.equal(await simulateCommand(['--url', bot.wsUrl(), '--duration', '5'], io), 1);
  assert.match(io.stdout, /first bot audio: \d+ ms after start/);
  assert.match(io.stdout, /4096 B ×1/);
  assert.match(io.stdout, /\[not-multiple-of-320\]/);
  assert.match(io.stdout, /bot closed the socket/);

  const bad = capture();
  assert.equal(await simulateCommand(['--frame-ms', '30'], bad), 2);
  assert.match(bad.stderr, /--frame-ms must be 20 or 100/);
  const unreachable = capture();
  assert.equal(await simulateCommand(['--url', 'ws://127.0.0.1:1/x', '--duration', '1'], unreachable), 2);
  assert.match(unreachable.stderr, /failed/);
});
