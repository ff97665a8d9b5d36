import { test, after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { freePort, startGateway, type TestGateway } from '../helpers/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'exovoice-dial-'));
const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'key1', apiToken: 'token-abcdef' });
let store: SqliteCallStore;
let gw: TestGateway;
let env: Record<string, string>;

before(async () => {
  await exotel.start();
  store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const port = await freePort();
  env = {
    PORT: String(port),
    WEBHOOK_BASE_URL: `http://127.0.0.1:${port}`,
    EXOTEL_API_KEY: 'key1',
    EXOTEL_API_TOKEN: 'token-abcdef',
    EXOTEL_SID: 'acct1',
    EXOTEL_SUBDOMAIN: 'api.in.exotel.com',
    EXOTEL_API_BASE_URL: exotel.baseUrl,
    EXOTEL_APP_ID: '123456',
    EXOTEL_CALLER_ID: '08047491899',
    CALLS_PER_MINUTE: '5',
  };
  gw = await startGateway(env, undefined, { store });
});
after(async () => {
  await gw.close();
  await store.close();
  await exotel.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => exotel.setRateLimit(200));

async function call(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, base = gw.base) {
  const res = await fetch(`${base}/call`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, string> };
}

test('dials Exotel in flow mode with TitleCase fields, a signed status callback and the callLogId as CustomField', async () => {
  const r = await call({ to: '98765 43210', callLogId: 'log-1', agent: 'echo' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.match(r.body.callSid, /^[0-9a-f]{32}$/);
  assert.equal(r.body.status, 'dialing');
  assert.equal(r.body.callLogId, 'log-1');
  const dial = exotel.call(r.body.callSid).dial;
  assert.equal(dial.mode, 'flow');
  assert.equal(dial.From, '09876543210', 'Indian numbers go to Exotel 0-prefixed');
  assert.equal(dial.CallerId, '08047491899');
  assert.equal(dial.Url, 'http://my.exotel.com/acct1/exoml/start_voice/123456');
  assert.equal(dial.CustomField, 'log-1', 'CustomField carries the callLogId the request gave');
  assert.deepEqual(dial.StatusCallbackEvents.sort(), ['answered', 'terminal']);
  assert.equal(dial.StatusCallbackContentType, 'application/json');
  assert.match(dial.StatusCallback!, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/v1/exotel/status\\?call=${r.body.id}&token=\\d+\\.`));
  const rec = await store.get('log-1');
  assert.equal(rec!.direction, 'outbound');
  assert.equal(rec!.callSid, r.body.callSid);
  assert.equal(rec!.agent, 'echo');
  assert.deepEqual(rec!.events.map((e) => e.type), ['dial', 'dial-accepted']);
});

test('form bodies work too', async () => {
  const r = await call('to=%2B919876500001&callLogId=form-1', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

test('the same callLogId returns the first call and dials once, even when requests race', async () => {
  const before = exotel.requests.filter((q) => q.path.endsWith('/Calls/connect.json')).length;
  exotel.failNext({ kind: 'delay', ms: 150 });
  const [a, b, c] = await Promise.all([
    call({ to: '9876500002', callLogId: 'race-1' }),
    call({ to: '9876500002', callLogId: 'race-1' }),
    call({ to: '9876500002', callLogId: 'race-1' }),
  ]);
  const dials = exotel.requests.filter((q) => q.path.endsWith('/Calls/connect.json')).length - before;
  assert.equal(dials, 1);
  assert.deepEqual([a, b, c].map((r) => r.status).sort(), [200, 200, 201]);
  assert.equal(new Set([a, b, c].map((r) => r.body.callSid)).size, 1);
  const again = await call({ to: '9876500002', callLogId: 'race-1' });
  assert.equal(again.status, 200);
  assert.equal(again.body.callSid, a.body.callSid);
});

test('bad numbers and bodies are a 400 that says what is wrong', async () => {
  assert.match((await call({ to: '12345' })).body.error, /too few digits/);
  assert.match((await call({ to: 'call me' })).body.error, /letters/);
  assert.match((await call({ to: '08047491899' })).body.error, /caller id/);
  assert.match((await call({})).body.error, /to/);
  assert.match((await call({ to: '9876543210', extra: 1 })).body.error, /extra|unrecognized/i);
  assert.match((await call({ to: '9876543210', callLogId: 'a b' })).body.error, /callLogId/);
  assert.equal((await call('{nope')).status, 400);
});

test('Exotel errors: 4xx pass through with its message, 429 becomes 503 with Retry-After, a timeout is 504', async () => {
  exotel.failNext({ kind: 'error', status: 403, message: 'AgentStream is not enabled for this account' });
  const forbidden = await call({ to: '9876500010' });
  assert.equal(forbidden.status, 403);
  assert.match(forbidden.body.error, /AgentStream is not enabled/);
  exotel.failNext({ kind: 'rate-limit', retryAfterSec: 7 });
  const limited = await call({ to: '9876500011' });
  assert.equal(limited.status, 503);
  assert.equal(limited.retryAfter, '7');
});

test('a dial that times out answers 504 and is not retried', async () => {
  const slow = await startGateway({ ...env, PORT: '0', EXOTEL_API_BASE_URL: exotel.baseUrl }, undefined, { store, rest: undefined });
  try {
    const before = exotel.requests.length;
    exotel.failNext({ kind: 'drop' });
    const r = await call({ to: '9876500012', callLogId: 'drop-1' }, undefined, slow.base);
    assert.equal(r.status, 504, JSON.stringify(r.body));
    assert.equal(exotel.requests.length - before, 1, 'no retry once the request may have reached Exotel');
    const rec = await store.get('drop-1');
    assert.equal(rec!.status, 'queued', 'unknown outcome: its status callback will settle it');
    assert.ok(rec!.events.some((e) => e.type === 'dial-error'));
  } finally {
    await slow.close();
  }
});

test('our own rate limit answers 429 with Retry-After', async () => {
  const limited = await startGateway({ ...env, PORT: '0', CALLS_PER_MINUTE: '1' }, undefined, { store });
  try {
    assert.equal((await call({ to: '9876500020' }, undefined, limited.base)).status, 201);
    const r = await call({ to: '9876500021' }, undefined, limited.base);
    assert.equal(r.status, 429);
    assert.ok(Number(r.retryAfter) > 0 && Number(r.retryAfter) <= 60);
  } finally {
    await limited.close();
  }
});

test('missing Exotel configuration is a 503 naming the variables', async () => {
  const bare = await startGateway({}, undefined, { store });
  try {
    const r = await call({ to: '9876543210' }, undefined, bare.base);
    assert.equal(r.status, 503);
    for (const v of ['EXOTEL_API_KEY', 'EXOTEL_API_TOKEN', 'EXOTEL_SID', 'EXOTEL_SUBDOMAIN', 'EXOTEL_APP_ID', 'WEBHOOK_BASE_URL']) {
      assert.match(r.body.error, new RegExp(v));
    }
  } finally {
    await bare.close();
  }
});

test('with API_KEY set, the admin API needs it', async () => {
  const guarded = await startGateway({ ...env, PORT: '0', API_KEY: 'admin-key-0123456789' }, undefined, { store });
  try {
    assert.equal((await call({ to: '9876500030' }, undefined, guarded.base)).status, 401);
    const ok = await call({ to: '9876500030' }, { 'content-type': 'application/json', authorization: 'Bearer admin-key-0123456789' }, guarded.base);
    assert.equal(ok.status, 201);
    assert.equal((await fetch(`${guarded.base}/calls`, { headers: { 'x-api-key': 'admin-key-0123456789' } })).status, 200);
    assert.equal((await fetch(`${guarded.base}/calls`)).status, 401);
    assert.equal((await fetch(`${guarded.base}/voicebot/sessions`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
  } finally {
    await guarded.close();
  }
});
