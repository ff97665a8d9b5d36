import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryCallDetailsStore } from '../../src/call/call-details.js';
import { statusCallbackUrl } from '../../src/exotel/call-urls.js';
import { HTTP_INPUT_LIMITS, InputError, parseFormText, parseMultipart } from '../../src/http/bounded-input.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'status-callback-secret-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'exovoice-bounded-'));
const details = new MemoryCallDetailsStore();
let store: SqliteCallStore;
let gw: TestGateway;

before(async () => {
  store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  gw = await startGateway({ CALLBACK_SECRET: SECRET }, undefined, { store, details });
});
after(async () => {
  await gw.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(path: string, init?: RequestInit) {
  const res = await fetch(`${gw.base}${path}`, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body };
}
const json = (path: string, value: unknown) => send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof value === 'string' ? value : JSON.stringify(value) });
const form = (path: string, text: string) => send(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: text });
const multipart = (path: string, body: string, boundary = 'XyZ') =>
  send(path, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });

function nested(depth: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

test('the webhook takes a multipart body like a form', async () => {
  const fd = new FormData();
  fd.set('CallSid', 'multi1');
  fd.set('CallFrom', '09876543210');
  const r = await send('/voicebot/connect', { method: 'POST', body: fd });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.url, `${gw.wsBase}/voicebot/ws?call_id=multi1`);
  assert.equal((await details.get('multi1'))?.from, '09876543210');
});

test('JSON nested too deep is a 400 naming the path', async () => {
  const r = await json('/voicebot/connect', { CallSid: 'deep1', custom_parameters: nested(HTTP_INPUT_LIMITS.maxDepth) });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'invalid_request');
  assert.equal(r.body.reason, 'depth');
  assert.match(String(r.body.field), /^custom_parameters(\.a)+$/);
  // One level less fits.
  assert.equal((await json('/voicebot/connect', { CallSid: 'deep2', custom_parameters: nested(HTTP_INPUT_LIMITS.maxDepth - 2) })).status, 200);
});

test('long values, many keys, long names and bad syntax are 400s naming the field', async () => {
  const long = 'x'.repeat(HTTP_INPUT_LIMITS.maxStringLength + 1);
  const cases: [Promise<{ status: number; body: Record<string, unknown> }>, string, string][] = [
    [json('/voicebot/connect', { CallSid: 'l1', CallFrom: long }), 'CallFrom', 'string'],
    [form('/voicebot/connect', `CallSid=l2&CallFrom=${long}`), 'CallFrom', 'string'],
    [send(`/voicebot/connect?CallSid=l3&CallFrom=${long}`), 'CallFrom', 'string'],
    [multipart('/voicebot/connect', `--XyZ\r\nContent-Disposition: form-data; name="CallFrom"\r\n\r\n${long}\r\n--XyZ--\r\n`), 'CallFrom', 'string'],
    [json('/voicebot/connect', Object.fromEntries(Array.from({ length: HTTP_INPUT_LIMITS.maxKeys + 1 }, (_, i) => [`k${i}`, i]))), 'body', 'keys'],
    [json('/voicebot/connect', { CallSid: 'l4', list: Array.from({ length: HTTP_INPUT_LIMITS.maxItems + 1 }, () => 0) }), 'list', 'items'],
    [form('/voicebot/connect', Array.from({ length: HTTP_INPUT_LIMITS.maxKeys + 1 }, (_, i) => `k${i}=1`).join('&')), 'body', 'keys'],
    [send(`/voicebot/connect?${Array.from({ length: HTTP_INPUT_LIMITS.maxKeys + 1 }, (_, i) => `k${i}=1`).join('&')}`), 'query', 'keys'],
    [form('/voicebot/connect', `${'k'.repeat(HTTP_INPUT_LIMITS.maxKeyLength + 1)}=1`), 'k'.repeat(64), 'key'],
    [json('/voicebot/connect', '{"CallSid": '), 'body', 'syntax'],
  ];
  for (const [pending, field, reason] of cases) {
    const r = await pending;
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.deepEqual([r.body.error, r.body.field, r.body.reason], ['invalid_request', field, reason]);
    assert.equal(typeof r.body.message, 'string');
    assert.ok(!String(r.body.message).includes('xxxxxxxx'), 'the message never echoes the value');
  }
});

test('a body over the limit is a 413, as JSON, on every route and encoding', async () => {
  const big = 'x'.repeat(HTTP_INPUT_LIMITS.maxBodyBytes + 1);
  for (const r of [
    await json('/voicebot/connect', { CallSid: 'big', pad: big }),
    await form('/voicebot/connect', `CallSid=big&pad=${big}`),
    await multipart('/voicebot/connect', `--XyZ\r\nContent-Disposition: form-data; name="pad"\r\n\r\n${big}\r\n--XyZ--\r\n`),
    await json('/call', { to: '9876543210', pad: big }),
  ]) {
    assert.equal(r.status, 413);
    assert.equal(r.body.error, 'too_large');
  }
});

test('a malformed multipart body is a 400, never a 500', async () => {
  const bodies: [string, string?][] = [
    ['no delimiter at all'],
    ['--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing delimiter'],
    ['--XyZ\r\nContent-Disposition: form-data; name="a"\r\nno blank line after headers'],
    ['--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--'],
    ['--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--'],
    ['--XyZ\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--XyZ--'],
    ['--XyZ\r\nContent-Disposition: form-data; name="f"; filename="x.txt"\r\n\r\nv\r\n--XyZ--'],
    [`--XyZ\r\n${'X-Pad: y\r\n'.repeat(200)}\r\nv\r\n--XyZ--`],
    ['--XyZgarbage'],
    ['--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--XyZ--', ''],
    ['--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--XyZ--', `boundary="${'b'.repeat(71)}"`],
  ];
  const { url } = await newCall();
  const statusPath = url.slice(gw.base.length);
  for (const [body, param] of bodies) {
    for (const path of ['/voicebot/connect', statusPath]) {
      const headers = { 'content-type': param === undefined ? 'multipart/form-data; boundary=XyZ' : `multipart/form-data; ${param}`.trim() };
      const r = await send(path, { method: 'POST', headers, body });
      assert.equal(r.status, 400, `${JSON.stringify(body.slice(0, 40))} on ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error, 'invalid_request');
    }
  }
});

async function newCall() {
  const id = await store.create({ direction: 'outbound', to: '+919876543210', from: '08047491899', status: 'dialing' });
  return { id, url: statusCallbackUrl(gw.base, SECRET, id) };
}

test('hostile __proto__, constructor and prototype keys pollute nothing, in any encoding', async () => {
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const hostileJson = '{"CallSid":"proto-json","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"custom_parameters":{"__proto__":{"polluted":"yes"}}}';
  const { url } = await newCall();
  const statusPath = url.slice(gw.base.length);
  const mp = (sid: string) =>
    ['__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'CallSid']
      .map((name) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${name === 'CallSid' ? sid : 'yes'}\r\n`)
      .join('') + '--XyZ--\r\n';
  const responses = [
    await send('/voicebot/connect?CallSid=proto-q&__proto__[polluted]=yes&__proto__=x&constructor[prototype][polluted]=yes&prototype=x'),
    await json('/voicebot/connect', hostileJson),
    await form('/voicebot/connect', 'CallSid=proto-form&__proto__=yes&__proto__[polluted]=yes&constructor.prototype.polluted=yes&prototype=yes'),
    await multipart('/voicebot/connect', mp('proto-mp')),
    await json(statusPath, hostileJson.replace('proto-json', 'proto-status')),
    await form(statusPath, 'CallSid=proto-status-form&Status=ringing&__proto__=yes&Legs[0][__proto__]=yes&Legs[0][constructor]=yes'),
    await multipart(statusPath, mp('proto-status-mp')),
    await json('/call', hostileJson),
  ];
  for (const r of responses) assert.ok(r.status < 500, JSON.stringify(r.body));
  assert.deepEqual(responses.slice(0, 4).map((r) => r.status), [200, 200, 200, 200]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), before);
  for (const sid of ['proto-q', 'proto-json', 'proto-form', 'proto-mp']) {
    const call = await details.get(sid);
    assert.ok(call, sid);
    for (const key of ['__proto__', 'constructor', 'prototype']) assert.equal(Object.prototype.hasOwnProperty.call(call.params, key), false, `${sid} kept ${key}`);
  }
});

test('the parsers on their own: repeated names, escapes, transport padding, no prototype', () => {
  const f = parseFormText('a=1&a=2&b=%E0%A4%B9&c=%zz&d', 'body');
  assert.equal(Object.getPrototypeOf(f), null);
  assert.deepEqual({ ...f }, { a: ['1', '2'], b: 'ह', c: '%zz', d: '' });
  const m = parseMultipart(
    Buffer.from('preamble\r\n--b \t\r\ncontent-disposition: form-data; name="q\\"x"\r\n\r\nline1\r\nline2\r\n--b\r\nContent-Disposition: form-data; name=plain\r\n\r\n\r\n--b--\r\nepilogue'),
    'multipart/form-data; boundary="b"',
  );
  assert.equal(Object.getPrototypeOf(m), null);
  assert.deepEqual({ ...m }, { 'q"x': 'line1\r\nline2', plain: '' });
  assert.throws(() => parseMultipart(Buffer.from('--b--'), 'multipart/form-data'), InputError);
});
