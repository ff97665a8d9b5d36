import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../helpers/gateway.js';
import { ExotelSocket, until, upgradeStatus } from '../helpers/exotel-socket.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';
import { FailedUpgradeLimiter } from '../../src/http/upgrade-guard.js';

const TOKEN = 'edge-token-0123456789abcdef';


async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('FailedUpgradeLimiter: per address, per window, bounded', () => {
  let now = 0;
  const l = new FailedUpgradeLimiter(2, 1000, 3, () => now);
  assert.equal(l.retryAfterMs('a'), 0);
  l.fail('a');
  assert.equal(l.retryAfterMs('a'), 0);
  l.fail('a');
  assert.equal(l.retryAfterMs('a'), 1000);
  assert.equal(l.retryAfterMs('b'), 0, 'other addresses are not affected');
  now = 600;
  assert.equal(l.retryAfterMs('a'), 400);
  now = 1000;
  assert.equal(l.retryAfterMs('a'), 0, 'the window passed');
  for (const addr of ['w', 'x', 'y', 'z']) l.fail(addr);
  assert.ok(l.trackedAddresses <= 3);
});

test('an address with too many failed upgrades gets 429 before authentication; others do not', async () => {
  const gw = await startGateway({ EXOTEL_WS_TOKEN: TOKEN, WS_FAILED_UPGRADES_PER_MIN: '3' });
  try {
    const url = `${gw.wsBase}/voicebot/ws?call_id=c1`;
    for (let i = 0; i < 3; i++) assert.equal(await upgradeStatus(url, { authorization: 'Bearer wrong' }), 401);
    assert.equal(await upgradeStatus(url, { authorization: 'Bearer wrong' }), 429);
    assert.equal(await upgradeStatus(url, { authorization: `Bearer ${TOKEN}` }), 429, 'refused before the credentials are checked');
    assert.equal(await metric(gw.base, 'exovoice_auth_rejections_total{reason="ws-too-many-failures"}'), 2);
  } finally {
    await gw.close();
  }
  // The limit is per address: a fresh gateway (fresh table) lets the same client in.
  const other = await startGateway({ EXOTEL_WS_TOKEN: TOKEN, WS_FAILED_UPGRADES_PER_MIN: '3' });
  try {
    assert.equal(await upgradeStatus(`${other.wsBase}/voicebot/ws?call_id=c1`, { authorization: `Bearer ${TOKEN}` }), 101);
  } finally {
    await other.close();
  }
});

test('an unusable call_id closes the socket with 1008 and never reaches the logs raw', async () => {
  const journal = new MemoryJournal();
  const gw = await startGateway({}, undefined, { journal });
  try {
    for (const id of ['a%0Ab', 'a%00b', 'x'.repeat(129), 'a%20b', '..%2Fetc']) {
      const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=${id}`);
      const closed = await s.closed;
      assert.deepEqual(closed, { code: 1008, reason: 'invalid call_id' }, id);
    }
    assert.equal(journal.events.size, 0, 'no call was opened');
    assert.equal(gw.gateway.registry.size, 0);
    assert.equal(await metric(gw.base, 'exovoice_bad_messages_total{reason="invalid-call-id"}'), 5);
  } finally {
    await gw.close();
  }
});

test('an unusable stream_sid in start ends the stream with 1008', async () => {
  const journal = new MemoryJournal();
  const gw = await startGateway({}, undefined, { journal });
  try {
    const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=sidbad1`);
    s.start({ streamSid: 'abc\r\ninjected' });
    const closed = await s.closed;
    assert.deepEqual(closed, { code: 1008, reason: 'invalid stream_sid' });
    const end = journal.eventsOf('sidbad1', 'end')[0];
    assert.equal(end?.data.reason, 'protocol-error');
    assert.equal(end?.data.streamSid, 'abc\\x0d\\x0ainjected');
  } finally {
    await gw.close();
  }
});

test('a socket that never sends start is closed after WS_START_TIMEOUT_MS, counted, and held against its address', async () => {
  const journal = new MemoryJournal();
  const gw = await startGateway({ WS_START_TIMEOUT_MS: '300', WS_FAILED_UPGRADES_PER_MIN: '2' }, undefined, { journal });
  try {
    const silent = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=nostart1`);
    const connectedOnly = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=nostart2`);
    connectedOnly.send({ event: 'connected' });
    for (const s of [silent, connectedOnly]) assert.deepEqual(await s.closed, { code: 1000, reason: 'timeout' });
    assert.equal(journal.eventsOf('nostart1', 'end')[0]?.data.waitingFor, 'start');
    assert.equal(await metric(gw.base, 'exovoice_ws_start_timeouts_total'), 2);
    // Both count as failed handshakes of this address: the next upgrade is refused.
    await until(() => gw.gateway.registry.size === 0, 2000, 'both sessions gone');
    assert.equal(await upgradeStatus(`${gw.wsBase}/voicebot/ws?call_id=nostart3`), 429);
  } finally {
    await gw.close();
  }
});

test('a start with a 10,000-deep custom parameter starts the call, drops the parameter and says so', async () => {
  const journal = new MemoryJournal();
  const agent = new ScriptedAgent('scripted');
  const gw = await startGateway({}, [agent], { journal });
  try {
    const next = agent.nextCall();
    const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=bomb1`);
    const bomb = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    s.send(
      `{"event":"start","stream_sid":"s1","start":{"stream_sid":"s1","call_sid":"bomb1","custom_parameters":{"lang":"hi","__proto__":{"polluted":1},"bomb":${bomb}}}}`,
    );
    const call = await next;
    assert.deepEqual(call.control.info.customParameters, { lang: 'hi' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const trimmed = journal.eventsOf('bomb1', 'custom-parameters-trimmed')[0];
    assert.deepEqual(trimmed?.data, { count: 2, reasons: ['reserved-key', 'too-deep'], keys: ['__proto__', 'bomb'] });
    s.media(new Int16Array(160).fill(5));
    await until(() => call.samples === 160, 2000, 'audio after the bomb');
    // A whole message that deep is a bad message, and the server is still there.
    s.send('{"event":"media","media":' + '{"x":'.repeat(10_000) + '1' + '}'.repeat(10_001));
    s.media(new Int16Array(160).fill(5));
    await until(() => call.samples === 320, 2000, 'audio after the deep message');
    assert.equal(await metric(gw.base, 'exovoice_bad_messages_total{reason="too-deep"}'), 1);
    assert.equal(await metric(gw.base, 'exovoice_bad_messages_total{reason="custom-parameters-trimmed"}'), 1);
    s.stop();
    await s.closed;
  } finally {
    await gw.close();
  }
});

test('X-Forwarded-For names the address only when the peer is a trusted proxy (TRUST_PROXY)', async () => {
  const tries = async (env: Record<string, string>): Promise<number[]> => {
    const gw = await startGateway({ EXOTEL_WS_TOKEN: TOKEN, WS_FAILED_UPGRADES_PER_MIN: '2', ...env });
    try {
      const url = `${gw.wsBase}/voicebot/ws?call_id=c1`;
      const out: number[] = [];
      // A different claimed address every time: believed, none of them reaches the limit.
      for (let i = 1; i <= 4; i++) out.push(await upgradeStatus(url, { authorization: 'Bearer wrong', 'x-forwarded-for': `203.0.113.${i}` }));
      return out;
    } finally {
      await gw.close();
    }
  };
  // Default: loopback and private networks are proxies (our test client is on loopback).
  assert.deepEqual(await tries({}), [401, 401, 401, 401]);
  // Exposed directly: the header is ignored, the socket's own address counts.
  assert.deepEqual(await tries({ TRUST_PROXY: 'false' }), [401, 401, 429, 429]);
  assert.deepEqual(await tries({ TRUST_PROXY: '10.0.0.0/8' }), [401, 401, 429, 429]);
});

test('a second socket with a live call_id replaces the call, with a warning event on its record', async () => {
  const journal = new MemoryJournal();
  const gw = await startGateway({}, [new ScriptedAgent()], { journal });
  try {
    const first = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=taken1`);
    first.start();
    for (let i = 0; i < 3; i++) first.media(new Int16Array(160).fill(1000), i + 2);
    await until(() => journal.eventsOf('taken1', 'ws-open').length === 1, 5000, 'first call open');
    const second = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=taken1`);
    assert.equal((await first.closed).reason, 'replaced');
    const replaced = journal.eventsOf('taken1', 'call-replaced');
    assert.equal(replaced.length, 1);
    assert.equal(typeof replaced[0]?.data.previousDurationMs, 'number');
    second.close();
    await second.closed;
  } finally {
    await gw.close();
  }
});
