import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { freePort } from '../helpers/gateway.js';
import { startServerProcess as startServer } from '../helpers/server-process.js';

test('the server starts, answers, and on SIGTERM drains a live call before exiting 0', async () => {
  const port = await freePort();
  const srv = startServer({ PORT: String(port), DRAIN_TIMEOUT_MS: '10000', EXOTEL_WS_TOKEN: 'serve-test-secret-token' });
  try {
    await srv.listening;
    const base = `http://127.0.0.1:${port}`;
    const { url } = (await (await fetch(`${base}/voicebot/connect?CallSid=cli1`)).json()) as { url: string };
    const s = await ExotelSocket.open(url);
    s.start({ callSid: 'cli1' });
    srv.child.kill('SIGTERM');
    for (let i = 0; i < 100 && (await fetch(`${base}/ready`)).status !== 503; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await fetch(`${base}/ready`)).status, 503);
    s.stop();
    await s.closed;
    assert.equal(await srv.exited, 0);
    assert.doesNotMatch(srv.output(), /serve-test-secret-token/, 'the token never reaches the log');
  } finally {
    srv.child.kill('SIGKILL');
  }
});

test('a bad variable stops start-up with a one-line error naming it', async () => {
  const srv = startServer({ EXOTEL_SAMPLE_RATE: '44100' });
  assert.equal(await srv.exited, 1);
  assert.match(srv.output(), /EXOTEL_SAMPLE_RATE: must be 8000, 16000 or 24000, got "44100"/);
  const prod = startServer({ NODE_ENV: 'production', WEBHOOK_BASE_URL: 'http://bot.example.com' });
  assert.equal(await prod.exited, 1);
  assert.match(prod.output(), /WEBHOOK_BASE_URL: must be https:\/\/ in production/);
});

test('a DATA_DIR that takes no writes stops start-up with one line naming it, and no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-serve-'));
  try {
    // A path through a regular file cannot be created, even by root (a chmod would not stop root).
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const srv = startServer({ DATA_DIR: join(file, 'data') });
    assert.equal(await srv.exited, 1);
    const lines = srv.output().trim().split('\n');
    assert.equal(lines.length, 1, srv.output());
    assert.match(lines[0], /^exovoice: DATA_DIR \S*a-file\/data is not writable: ENOTDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
