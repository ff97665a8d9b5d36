import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statusCallbackUrl } from '../../src/exotel/call-urls.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'status-callback-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'exovoice-status-'));
let store: SqliteCallStore;
let gw: TestGateway;

before(async () => {
  store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  gw = await startGateway({ CALLBACK_SECRET: SECRET }, undefined, { store });
});
after(async () => {
  await gw.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newCall() {
  const id = await store.create({ direction: 'outbound', to: '+919876543210', from: '08047491899', status: 'dialing' });
  return { id, url: statusCallbackUrl(gw.base, SECRET, id) };
}

function post(url: string, body: Record<string, unknown>, encoding: 'json' | 'form' | 'multipart') {
  if (encoding === 'json') return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (encoding === 'form') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) form.set(k, String(v));
    return fetch(url, { method: 'POST', body: form });
  }
  const fd = new FormData();
  for (const [k, v] of Object.entries(body)) fd.set(k, String(v));
  return fetch(url, { method: 'POST', body: fd });
}

const terminal = (sid: string) => ({
  CallSid: sid,
  Status: 'completed',
  EventType: 'terminal',
  DateUpdated: '2026-05-14 10:05:12',
  RecordingUrl: 'https://recordings.example.com/x.mp3',
  ConversationDuration: 300,
  EndTime: '2026-05-14 10:05:12',
  StartTime: '2026-05-14 10:00:00',
});

for (const encoding of ['json', 'form', 'multipart'] as const) {
  test(`a terminal callback as ${encoding} completes the call`, async () => {
    const { id, url } = await newCall();
    const body: Record<string, unknown> = terminal(`sid-${encoding}`);
    if (encoding === 'json') body.Legs = [{ OnCallDuration: 335, Status: 'completed', AnsweredBy: 'Human' }];
    else {
      body['Legs[0][OnCallDuration]'] = 335;
      body['Legs[0][Status]'] = 'completed';
    }
    const res = await post(url, body, encoding);
    assert.equal(res.status, 200, await res.clone().text());
    const rec = await store.get(id);
    assert.equal(rec!.status, 'completed');
    assert.equal(rec!.callSid, `sid-${encoding}`);
    assert.equal(rec!.recordingUrl, 'https://recordings.example.com/x.mp3');
    assert.equal(rec!.endedAt, Date.parse('2026-05-14T10:05:12+05:30'));
    assert.equal(rec!.exotelDetails?.ConversationDuration, 300);
    assert.equal(String(rec!.exotelLegs?.[0].OnCallDuration), '335');
    assert.equal(rec!.events.filter((e) => e.type === 'status-callback').length, 1);
  });
}

test('answered then terminal; a late or duplicate answered changes nothing', async () => {
  const { id, url } = await newCall();
  assert.equal((await post(url, { CallSid: 's1', Status: 'in-progress', EventType: 'answered', StartTime: '2026-05-14 10:00:00' }, 'json')).status, 200);
  assert.equal((await store.get(id))!.status, 'in-progress');
  assert.equal((await store.get(id))!.answeredAt, Date.parse('2026-05-14T10:00:00+05:30'));
  await post(url, terminal('s1'), 'json');
  await post(url, { CallSid: 's1', Status: 'in-progress', EventType: 'answered' }, 'json');
  await post(url, terminal('s1'), 'form');
  const rec = await store.get(id);
  assert.equal(rec!.status, 'completed');
  assert.equal(rec!.events.filter((e) => e.type === 'status-callback').length, 4);
});

test('a terminal status is final: busy after completed is ignored', async () => {
  const { id, url } = await newCall();
  await post(url, terminal('s2'), 'json');
  await post(url, { ...terminal('s2'), Status: 'busy' }, 'json');
  assert.equal((await store.get(id))!.status, 'completed');
});

test('callbacks without a valid token are refused and recorded nowhere', async () => {
  const { id, url } = await newCall();
  const other = await newCall();
  const u = new URL(url);
  const noToken = `${gw.base}/api/v1/exotel/status?call=${id}`;
  const wrongCall = `${gw.base}/api/v1/exotel/status?call=${id}&token=${new URL(other.url).searchParams.get('token')}`;
  const forged = `${gw.base}/api/v1/exotel/status?call=${id}&token=9999999999.AAAAAAAAAAAAAAAAAAAAAA`;
  for (const bad of [noToken, wrongCall, forged]) assert.equal((await post(bad, terminal('s3'), 'json')).status, 401);
  assert.ok(u.searchParams.get('token'));
  const rec = await store.get(id);
  assert.equal(rec!.status, 'dialing');
  assert.equal(rec!.events.length, 0);
});

test('malformed callbacks are a 400 that names the field', async () => {
  const { url } = await newCall();
  const noSid = await post(url, { Status: 'completed' }, 'json');
  assert.equal(noSid.status, 400);
  assert.match(((await noSid.json()) as { error: string }).error, /CallSid/);
  const badDuration = await post(url, { CallSid: 'x', ConversationDuration: 'lots' }, 'json');
  assert.equal(badDuration.status, 400);
  assert.match(((await badDuration.json()) as { error: string }).error, /ConversationDuration/);
});
