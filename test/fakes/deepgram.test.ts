// The fake Deepgram server itself, driven by a bare `ws` client: upgrade refusals, control
// messages and the close handshake behave as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { startFakeDeepgram, type FakeDeepgram } from './deepgram.js';

const T = { timeout: 10_000 };
const GOOD = 'encoding=linear16&sample_rate=16000&channels=1&model=nova-3';

async function withFake(fn: (fake: FakeDeepgram) => Promise<void>): Promise<void> {
  const fake = await startFakeDeepgram();
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

function upgrade(fake: FakeDeepgram, query: string, auth = 'Token test-key', path = '/v1/listen') {
  const headers: Record<string, string> = auth ? { Authorization: auth } : {};
  const ws = new WebSocket(`${fake.baseUrl}${path}?${query}`, { headers });
  return new Promise<{ ws?: WebSocket; status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    ws.on('upgrade', (res) => ws.once('open', () => resolve({ ws, status: 101, headers: res.headers, body: '' })));
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    ws.on('error', reject);
  });
}

function messages(ws: WebSocket): { all: { type: string; [k: string]: unknown }[]; closed: Promise<{ code: number; reason: string }> } {
  const all: { type: string }[] = [];
  ws.on('message', (d) => all.push(JSON.parse(String(d))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: String(r) })));
  return { all, closed };
}

test('refused upgrades carry status, dg-error, dg-request-id and a JSON body', T, async () => {
  await withFake(async (fake) => {
    const cases: [string, string, string, number, RegExp][] = [
      ['bad key', GOOD, 'Token other', 401, /Invalid credentials/],
      ['Bearer scheme', GOOD, 'Bearer test-key', 401, /Invalid credentials/],
      ['no auth', GOOD, '', 401, /Invalid credentials/],
      ['no sample_rate', 'encoding=linear16', 'Token test-key', 400, /sample_rate/],
      ['bad sample_rate', 'encoding=linear16&sample_rate=abc', 'Token test-key', 400, /sample_rate/],
      ['unknown encoding', 'encoding=wav&sample_rate=8000', 'Token test-key', 400, /encoding/],
      ['no encoding', 'sample_rate=8000', 'Token test-key', 400, /encoding/],
      ['unknown model', `${GOOD.replace('nova-3', 'nova-9')}`, 'Token test-key', 400, /No such model/],
      ['keyterm on nova-2', 'encoding=linear16&sample_rate=8000&model=nova-2&keyterm=x', 'Token test-key', 400, /Keyterm/],
      ['keywords on nova-3', `${GOOD}&keywords=x`, 'Token test-key', 400, /Keywords/],
      ['bad boolean', `${GOOD}&interim_results=yes`, 'Token test-key', 400, /interim_results/],
    ];
    for (const [name, query, auth, status, message] of cases) {
      const r = await upgrade(fake, query, auth);
      assert.equal(r.status, status, name);
      assert.match(String(r.headers['dg-error']), message, name);
      assert.equal(typeof r.headers['dg-request-id'], 'string', name);
      assert.match(JSON.parse(r.body).err_msg, message, name);
    }
    assert.equal((await upgrade(fake, GOOD, 'Token test-key', '/v2/listen')).status, 404);
    assert.equal(fake.connections.length, 0);
  });
});

test('CloseStream: pending final, Metadata (sha256 and duration of the audio), then close 1000', T, async () => {
  const fake = await startFakeDeepgram({ script: [{ final: 'namaste' }] });
  try {
    const { ws, headers } = await upgrade(fake, `${GOOD}&vad_events=true`);
    assert.equal(typeof headers['dg-request-id'], 'string');
    const m = messages(ws!);
    const audio = Buffer.alloc(16000 * 2 * 0.5); // 500 ms at 16 kHz
    for (let i = 0; i < audio.length / 2; i++) audio.writeInt16LE(Math.round(6000 * Math.sin(i / 3)), i * 2);
    ws!.send(audio);
    ws!.send(JSON.stringify({ type: 'KeepAlive' })); // no answer expected
    ws!.send(JSON.stringify({ type: 'CloseStream' }));
    assert.equal((await m.closed).code, 1000);
    assert.deepEqual(m.all.map((x) => x.type), ['SpeechStarted', 'Results', 'Metadata']);
    const final = m.all[1]!;
    assert.equal(final.is_final, true);
    assert.equal((final.channel as { alternatives: { transcript: string }[] }).alternatives[0]!.transcript, 'namaste');
    const meta = m.all[2]!;
    assert.equal(meta.sha256, createHash('sha256').update(audio).digest('hex'));
    assert.equal(meta.duration, 0.5);
    assert.equal(meta.request_id, headers['dg-request-id']);
    assert.deepEqual(fake.connections[0]!.controls, ['KeepAlive', 'CloseStream']);
  } finally {
    await fake.close();
  }
});

test('an empty binary frame ends the stream like CloseStream', T, async () => {
  await withFake(async (fake) => {
    const { ws } = await upgrade(fake, GOOD);
    const m = messages(ws!);
    ws!.send(Buffer.alloc(0));
    assert.equal((await m.closed).code, 1000);
    assert.deepEqual(m.all.map((x) => x.type), ['Metadata']);
  });
});

test('odd-sized binary frames are reassembled on the audio clock', T, async () => {
  await withFake(async (fake) => {
    const { ws } = await upgrade(fake, GOOD);
    const m = messages(ws!);
    const audio = Buffer.alloc(3201); // 100 ms + 1 byte, then the other byte of the last sample
    ws!.send(audio.subarray(0, 3201));
    ws!.send(Buffer.alloc(1));
    ws!.send(JSON.stringify({ type: 'CloseStream' }));
    await m.closed;
    assert.equal(m.all.at(-1)!.duration, 1601 / 16000);
  });
});
