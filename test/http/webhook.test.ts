import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
before(async () => {
  gw = await startGateway();
});
after(() => gw.close());

async function hook(path: string, init?: RequestInit) {
  const res = await fetch(`${gw.base}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, string> };
}

test('GET on both paths answers the media WebSocket URL for the call', async () => {
  for (const path of ['/api/v1/exotel/voice/connect', '/voicebot/connect']) {
    const r = await hook(`${path}?CallSid=b6cfaf5f5cef3ca0fc937749ef96d245&CallFrom=09876543210&CallTo=08047491899&Direction=incoming&CustomField=`);
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/json/);
    assert.equal(r.body.url, `${gw.wsBase}/voicebot/ws?call_id=b6cfaf5f5cef3ca0fc937749ef96d245`);
  }
});

test('POST with a form body, a JSON body, or lower-case names', async () => {
  const form = await hook('/voicebot/connect', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'CallSid=form1&CallFrom=0987',
  });
  assert.equal(form.body.url, `${gw.wsBase}/voicebot/ws?call_id=form1`);
  const json = await hook('/voicebot/connect', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ CallSid: 'json1', agent: 'echo' }),
  });
  assert.equal(json.body.url, `${gw.wsBase}/voicebot/ws?call_id=json1&agent=echo`);
  const lower = await hook('/voicebot/connect?callsid=low1');
  assert.equal(lower.body.url, `${gw.wsBase}/voicebot/ws?call_id=low1`);
});

test('forwarded headers pick the public scheme and host; https becomes wss', async () => {
  const r = await hook('/voicebot/connect?CallSid=fw1', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'bot.example.com' } });
  assert.equal(r.body.url, 'wss://bot.example.com/voicebot/ws?call_id=fw1');
});

test('no CallSid still gets a usable URL with a generated id', async () => {
  const r = await hook('/voicebot/connect');
  assert.equal(r.status, 200);
  assert.match(r.body.url, /\/voicebot\/ws\?call_id=gen-[0-9a-f]{24}$/);
});

test('malformed bodies and bad values get a 4xx JSON error, never a 5xx', async () => {
  const badJson = await hook('/voicebot/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
  assert.equal(badJson.status, 400);
  assert.ok(badJson.body.message || badJson.body.error);
  const arrayBody = await hook('/voicebot/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
  assert.equal(arrayBody.status, 400);
  const badSid = await hook('/voicebot/connect?CallSid=a%20b%3Cscript%3E');
  assert.equal(badSid.status, 400);
  assert.deepEqual({ ...badSid.body, message: undefined }, { error: 'invalid_request', field: 'CallSid', reason: 'bad-characters', message: undefined });
  assert.match(badSid.body.message, /CallSid/);
  const longSid = await hook(`/voicebot/connect?CallSid=${'a'.repeat(129)}`);
  assert.equal(longSid.status, 400);
  assert.equal(longSid.body.field, 'CallSid');
  const badAgent = await hook('/voicebot/connect?CallSid=x&agent=../../etc');
  assert.equal(badAgent.status, 400);
  const xml = await hook('/voicebot/connect', { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' });
  assert.equal(xml.status, 415);
});

test('configured base URL, sample rate and token end up in the URL', async () => {
  const other = await startGateway({ WEBHOOK_BASE_URL: 'https://voice.example.in/', EXOTEL_SAMPLE_RATE: '16000', EXOTEL_WS_TOKEN: 'a-very-secret-token-123', WS_PATH: '/media' });
  try {
    const res = await fetch(`${other.base}/voicebot/connect?CallSid=c1`);
    const { url } = (await res.json()) as { url: string };
    const u = new URL(url);
    assert.equal(`${u.protocol}//${u.host}${u.pathname}`, 'wss://voice.example.in/media');
    assert.equal(u.searchParams.get('call_id'), 'c1');
    assert.equal(u.searchParams.get('sample-rate'), '16000');
    assert.match(u.searchParams.get('token') ?? '', /^\d+\.[A-Za-z0-9_-]{22}$/);
    assert.ok(url.length < 600, 'fits in Exotel StreamUrl');
  } finally {
    await other.close();
  }
});
