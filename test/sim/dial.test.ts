import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedCall, START_SHAPES } from '../../src/sim/index.js';
import { splitUserinfo, streamParametersFromUrl } from '../../src/sim/dial.js';
import { startBot, type BotServer } from './bot-server.js';

/** A dynamic-URL webhook that answers with the bot's stream URL and remembers what it was sent. */
async function startWebhook(bot: BotServer) {
  const seen: Array<{ method: string; url: string; contentType: string | undefined; params: Record<string, string> }> = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://x');
    const type = req.headers['content-type'];
    const params =
      req.method === 'GET'
        ? Object.fromEntries(url.searchParams)
        : type === 'application/json'
          ? JSON.parse(body)
          : Object.fromEntries(new URLSearchParams(body));
    seen.push({ method: req.method ?? '', url: req.url ?? '', contentType: type, params });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: bot.wsUrl(`/media/tok_1?sample-rate=16000&agent=${params.agent}`) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/exotel/voice/connect`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const [method, body] of [
  ['GET', 'form'],
  ['POST', 'form'],
  ['POST', 'json'],
] as const) {
  test(`dynamic URL via webhook ${method}${method === 'POST' ? ` (${body})` : ''}`, async (t) => {
    const bot = await startBot(() => undefined);
    const hook = await startWebhook(bot);
    t.after(async () => {
      await hook.close();
      await bot.close();
    });
    const call = new SimulatedCall({
      url: hook.url,
      method,
      webhookBody: body,
      webhookParams: { agent: 'support' },
      from: '09876543210',
      to: '08047491899',
      customField: 'run-42',
    });
    await call.start();
    const conn = bot.connections[0];
    await conn.next((m) => m.event === 'start');
    const report = await call.hangup();
    const [req] = hook.seen;
    assert.equal(req.method, method);
    if (method === 'POST') assert.equal(req.contentType, body === 'json' ? 'application/json' : 'application/x-www-form-urlencoded');
    else assert.match(req.url, /^\/api\/v1\/exotel\/voice\/connect\?CallSid=/);
    assert.match(req.params.CallSid, /^[0-9a-f]{32}$/);
    assert.deepEqual(req.params, {
      CallSid: call.callSid,
      CallFrom: '09876543210',
      CallTo: '08047491899',
      Direction: 'incoming',
      From: '09876543210',
      To: '08047491899',
      CustomField: 'run-42',
      agent: 'support',
    });
    assert.equal(bot.upgrades[0].url, '/media/tok_1?sample-rate=16000&agent=support');
    assert.equal(conn.start.start.media_format.sample_rate, '16000');
    assert.deepEqual(conn.start.start.custom_parameters, { agent: 'support' });
    assert.equal(report.webhook?.status, 200);
    assert.equal(report.sampleRate, 16000);
  });
}

test('URL userinfo becomes a Basic Authorization header; extra headers pass through', async (t) => {
  const bot = await startBot(() => undefined);
  t.after(() => bot.close());
  const withUser = new SimulatedCall({ url: `ws://apikey:s3cr%40t@127.0.0.1:${bot.port}/media?x=1` });
  await withUser.start();
  await withUser.hangup();
  const bearer = new SimulatedCall({ url: bot.wsUrl('/media'), headers: { Authorization: 'Bearer tok123', 'X-Extra': 'yes' } });
  await bearer.start();
  await bearer.hangup();
  assert.equal(bot.upgrades[0].url, '/media?x=1');
  assert.equal(bot.upgrades[0].headers.authorization, `Basic ${Buffer.from('apikey:s3cr@t').toString('base64')}`);
  assert.equal(bot.upgrades[1].headers.authorization, 'Bearer tok123');
  assert.equal(bot.upgrades[1].headers['x-extra'], 'yes');
});

test('a refused upgrade is retried once, then the call fails', async (t) => {
  const bot = await startBot(
    () => undefined,
    () => 401,
  );
  t.after(() => bot.close());
  const call = new SimulatedCall({ url: bot.wsUrl() });
  await assert.rejects(call.start(), /HTTP 401/);
  assert.equal(bot.upgrades.length, 2);
});

test('start shape variants from spec §15.2', async (t) => {
  const bot = await startBot(() => undefined);
  t.after(() => bot.close());
  for (const shape of START_SHAPES) {
    const call = new SimulatedCall({ url: bot.wsUrl('/media?k'), startShape: shape });
    await call.start();
    await bot.connections[bot.connections.length - 1].next((m) => m.event === 'media');
    await call.hangup();
  }
  const [canonical, live, numeric, camel] = bot.connections.map((c) => c.received);
  assert.equal(canonical[1].start.media_format.encoding, 'audio/x-raw');
  assert.deepEqual(canonical[1].start.custom_parameters, { k: '' }, 'key-only query item');
  assert.match(canonical[1].start.leg_sid, /^[0-9a-f]{32}$/);
  assert.deepEqual(live[1].start.media_format, { encoding: 'base64', sample_rate: 8000, bit_rate: '128kbps' });
  assert.equal(numeric[1].sequence_number, 1);
  assert.equal(numeric[2].sequence_number, 2);
  assert.equal(numeric[2].media.chunk, 1);
  assert.equal(camel[0].protocol, 'Call');
  assert.equal(camel[1].streamSid, camel[1].start.streamSid);
  assert.deepEqual(camel[1].start.mediaFormat, { encoding: 'audio/x-raw', sampleRate: 8000 });
  assert.equal(camel[2].streamSid, camel[1].streamSid);
  assert.equal(camel[2].sequenceNumber, '2');
});

test('stream parameters: sample-rate (hyphen only) and at most three custom parameters', () => {
  const p = streamParametersFromUrl('wss://h/m?samplerate=16000&a=1&b=2&c=3&d=4');
  assert.equal(p.sampleRate, 8000);
  assert.deepEqual(p.customParameters, { samplerate: '16000', a: '1', b: '2' });
  assert.equal(p.notes.length, 2);
  assert.equal(streamParametersFromUrl('ws://h/?sample-rate=24000').sampleRate, 24000);
  assert.deepEqual(splitUserinfo('wss://u:p@h/x?y=%2F'), { url: 'wss://h/x?y=%2F', authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
});
