import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { signCallToken } from '../../src/exotel/call-token.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ExotelSocket, upgradeStatus } from '../helpers/exotel-socket.js';

const TOKEN = 'test-token-0123456789abcdef';
let gw: TestGateway;
before(async () => {
  gw = await startGateway({ EXOTEL_WS_TOKEN: TOKEN });
});
after(() => gw.close());


test('without credentials the upgrade is refused with HTTP 401', async () => {
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c1`), 401);
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c1`, { authorization: 'Bearer wrong-token' }), 401);
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c1&token=123.AAAAAAAAAAAAAAAAAAAAAA`), 401);
});

test('Bearer token, Basic with the token as password, and the webhook call token are accepted', async () => {
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c1`, { authorization: `Bearer ${TOKEN}` }), 101);
  const basic = Buffer.from(`exotel:${TOKEN}`).toString('base64');
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c1`, { authorization: `Basic ${basic}` }), 101);
  const res = await fetch(`${gw.base}/voicebot/connect?CallSid=c2`);
  const { url } = (await res.json()) as { url: string };
  assert.equal(await upgradeStatus(url), 101);
});

test('a call token is bound to its call and expires', async () => {
  const forC3 = signCallToken(TOKEN, 'ws', 'c3', 60);
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c4&token=${forC3}`), 401);
  const expired = signCallToken(TOKEN, 'ws', 'c3', -10);
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c3&token=${expired}`), 401);
  const statusToken = signCallToken(TOKEN, 'status', 'c3', 60);
  assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=c3&token=${statusToken}`), 401, 'a token for another purpose');
});

test('rejections are counted in metrics', async () => {
  const text = await (await fetch(`${gw.base}/metrics`)).text();
  const m = /exovoice_auth_rejections_total\{reason="ws"\} (\d+)/.exec(text);
  assert.ok(m && Number(m[1]) >= 3, text.split('\n').filter((l) => l.includes('auth')).join('\n'));
});
