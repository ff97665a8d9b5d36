import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordJournal } from '../../src/call/record-journal.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'exovoice-records-'));
let store: SqliteCallStore;
let gw: TestGateway;
const agent = new ScriptedAgent();

before(async () => {
  store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const journal = new RecordJournal(store, createLogger('silent'));
  gw = await startGateway({}, [agent], { store, journal });
});
after(async () => {
  await gw.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string) => {
  const res = await fetch(`${gw.base}${path}`);
  return { status: res.status, body: (await res.json()) as any };
};

test('an inbound call leaves one record with its timeline, transcript and end', async () => {
  await fetch(`${gw.base}/voicebot/connect?CallSid=rec1&CallFrom=09876543210&CallTo=08047491899&Direction=incoming&CustomField=x`);
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=rec1`);
  s.start({ callSid: 'rec1', streamSid: 'strm1' });
  const call = await next;
  const seq = call.control.addTurn({ role: 'agent', text: 'Hello there, how can I help?', startedAt: Date.now() });
  call.control.updateTurn(seq, { endedAt: Date.now(), interrupted: true, heardText: 'Hello there,' });
  s.send({ event: 'dtmf', dtmf: { digit: '5', duration: '100' } });
  await until(() => call.dtmf.length === 1, 2000, 'dtmf');
  s.stop();
  await s.closed;
  await until(() => call.ends.length === 1, 2000, 'end');
  await new Promise((r) => setTimeout(r, 100));

  const { status, body } = await get('/calls/rec1');
  assert.equal(status, 200);
  assert.equal(body.callSid, 'rec1');
  assert.equal(body.streamSid, 'strm1');
  assert.equal(body.direction, 'inbound');
  assert.equal(body.from, '09876543210');
  assert.equal(body.customField, 'x');
  assert.equal(body.agent, 'scripted');
  assert.equal(body.status, 'completed');
  assert.equal(body.endReason, 'caller-hangup');
  assert.equal(body.closeCode, 1000);
  assert.ok(body.startedAt && body.endedAt && body.answeredAt);
  const types = body.events.map((e: { type: string }) => e.type);
  for (const t of ['webhook', 'ws-open', 'start', 'dtmf', 'stop', 'end']) assert.ok(types.includes(t), `${t} in ${types}`);
  assert.deepEqual(
    body.transcript.map((t: any) => [t.role, t.text, t.interrupted, t.heardText]),
    [['agent', 'Hello there, how can I help?', true, 'Hello there,']],
  );
});

test('a socket without a webhook (static applet URL) still gets a record', async () => {
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=static1`);
  s.start({ callSid: 'static1' });
  s.close();
  await s.closed;
  await until(() => agent.calls.some((c) => c.control.info.callId === 'static1' && c.ends.length === 1), 2000, 'end');
  await new Promise((r) => setTimeout(r, 100));
  const { body } = await get('/calls/static1');
  assert.equal(body.status, 'completed');
  assert.equal(body.endReason, 'socket-closed');
  assert.equal(body.events.filter((e: { type: string }) => e.type === 'webhook').length, 0);
});

test('GET /calls lists, filters and pages; bad filters are a 400', async () => {
  for (let i = 0; i < 3; i++) {
    const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=page${i}`);
    s.start({ callSid: `page${i}` });
    s.stop();
    await s.closed;
  }
  await new Promise((r) => setTimeout(r, 100));
  const all = await get('/calls?direction=inbound&limit=2');
  assert.equal(all.status, 200);
  assert.equal(all.body.items.length, 2);
  assert.ok(all.body.nextCursor);
  const page2 = await get(`/calls?direction=inbound&limit=2&cursor=${encodeURIComponent(all.body.nextCursor)}`);
  const ids = new Set([...all.body.items, ...page2.body.items].map((c: { id: string }) => c.id));
  assert.equal(ids.size, all.body.items.length + page2.body.items.length, 'pages do not overlap');
  const byNumber = await get('/calls?number=09876543210');
  assert.ok(byNumber.body.items.every((c: any) => c.from === '09876543210' || c.to === '09876543210'));
  assert.ok(byNumber.body.items.length >= 1);
  assert.equal((await get('/calls?status=dancing')).status, 400);
  assert.equal((await get('/calls?from=yesterday')).status, 400);
  assert.equal((await get('/calls?limit=1000')).status, 400);
  assert.equal((await get('/calls?bogus=1')).status, 400);
  assert.equal((await get('/calls/nope')).status, 404);
});
