import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openSqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { freePort, startGateway } from '../helpers/gateway.js';

const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/exovoice.js', 'call', ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('exovoice call places a call through the API, and reports refusals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-cli-call-'));
  const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'key1', apiToken: 'token-abcdef' });
  await exotel.start();
  const store = openSqliteCallStore({ dataDir: dir });
  const port = await freePort();
  const gw = await startGateway(
    {
      PORT: String(port),
      WEBHOOK_BASE_URL: `http://127.0.0.1:${port}`,
      API_KEY: 'cli-admin-key-0123456789',
      EXOTEL_API_KEY: 'key1',
      EXOTEL_API_TOKEN: 'token-abcdef',
      EXOTEL_SID: 'acct1',
      EXOTEL_SUBDOMAIN: 'api.in.exotel.com',
      EXOTEL_API_BASE_URL: exotel.baseUrl,
      EXOTEL_APP_ID: '99',
      EXOTEL_CALLER_ID: '08047491899',
    },
    undefined,
    { store },
  );
  try {
    const ok = await cli(['09876543210', '--url', gw.base, '--api-key', 'cli-admin-key-0123456789', '--call-log-id', 'cli-1']);
    assert.equal(ok.code, 0, ok.stderr);
    const placed = JSON.parse(ok.stdout) as { callSid: string; status: string; callLogId: string };
    assert.equal(placed.callLogId, 'cli-1');
    assert.equal(exotel.call(placed.callSid).dial.From, '09876543210');

    const unauthorised = await cli(['09876543210', '--url', gw.base]);
    assert.equal(unauthorised.code, 1);
    assert.match(unauthorised.stderr, /HTTP 401/);
    const bad = await cli(['123', '--url', gw.base, '--api-key', 'cli-admin-key-0123456789']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /HTTP 400.*too few digits/);
    assert.equal((await cli([])).code, 2);
  } finally {
    await gw.close();
    await store.close();
    await exotel.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exovoice call checks PORT, API_KEY and --url as the server checks its configuration, before dialling anything', async () => {
  const badPort = await cli(['09876543210'], { PORT: '80x' });
  assert.equal(badPort.code, 2);
  assert.match(badPort.stderr, /PORT: must be an integer from 0 to 65535, got "80x"/);
  const shortKey = await cli(['09876543210'], { API_KEY: 'short' });
  assert.equal(shortKey.code, 2);
  assert.match(shortKey.stderr, /API_KEY: must be at least 16 characters/);
  assert.doesNotMatch(shortKey.stderr, /short/, 'the key itself is never echoed');
  const badUrl = await cli(['09876543210', '--url', 'ftp://example.com']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /--url must be an absolute http\(s\):\/\/ URL/);
});
