// Calls go on while the call-record database refuses writes: /ready stays 200 and says degraded, the
// failures are on /metrics, and the records land once the database takes writes again.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordJournal } from '../../src/call/record-journal.js';
import { createLogger } from '../../src/observability/logger.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';
import { FaultyCallStore } from '../store/faulty-call-store.js';

const dir = mkdtempSync(join(tmpdir(), 'exovoice-health-store-'));
let store: FaultyCallStore;
let gw: TestGateway;
const agent = new ScriptedAgent();

before(async () => {
  store = new FaultyCallStore({ dataDir: dir, flushIntervalMs: 20, maxRetryDelayMs: 100, checkpointIntervalMs: 0 });
  gw = await startGateway({}, [agent], { store, journal: new RecordJournal(store, createLogger('silent')) });
});
after(async () => {
  await gw.close();
  store.heal();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ready = async () => {
  const res = await fetch(`${gw.base}/ready`);
  return { status: res.status, body: (await res.json()) as any };
};

async function openCall(callId: string) {
  await fetch(`${gw.base}/voicebot/connect?CallSid=${callId}&CallFrom=09876543210&CallTo=08047491899&Direction=incoming`);
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=${callId}`);
  s.start({ callSid: callId });
  return { s, call: await next };
}

test('a disk-full store leaves the call running, /ready degraded, and every record lands after recovery', async () => {
  assert.deepEqual(await ready(), { status: 200, body: { ready: true, status: 'ok', store: { status: 'ok' } } });
  const { s, call } = await openCall('flt1');
  await until(() => store.inner.stats().flushedOps > 0, 5000, 'the call record written');
  const record = await store.get('flt1');
  assert.ok(record, 'the record exists before the fault');

  store.fail('full');
  const digits = ['1', '2', '3', '4', '5'];
  for (const digit of digits) s.send({ event: 'dtmf', dtmf: { digit, duration: '100' } });
  await until(() => call.dtmf.length === digits.length, 5000, 'the agent got every key');
  await until(() => store.failedAttempts >= 2, 5000, 'flushes failing');
  const seq = call.control.addTurn({ role: 'agent', text: 'Still here.', startedAt: Date.now() });
  assert.equal(typeof seq, 'number');

  const r = await ready();
  assert.equal(r.status, 200, 'calls still work, so the instance stays ready');
  assert.equal(r.body.status, 'degraded');
  assert.equal(r.body.store.status, 'degraded');
  assert.equal(r.body.store.kind, 'full');
  assert.match(r.body.store.reason, /full/);
  assert.ok(!Number.isNaN(Date.parse(r.body.store.since)));
  assert.ok(r.body.store.pendingOps >= digits.length);
  const metrics = await (await fetch(`${gw.base}/metrics`)).text();
  assert.match(metrics, /exovoice_store_write_failures_total\{kind="full"\} [1-9]/);
  assert.match(metrics, /exovoice_store_degraded 1/);

  store.heal();
  await until(() => store.health().status === 'ok', 5000, 'the store recovered');
  assert.equal((await ready()).body.status, 'ok');
  s.stop();
  await s.closed;
  await until(() => call.ends.length === 1, 5000, 'the call ended normally');
  await until(() => store.inner.stats().pendingOps === 0, 5000, 'nothing left pending');
  const rec = await store.get('flt1');
  assert.deepEqual(
    rec?.events.filter((e) => e.type === 'dtmf').map((e) => e.data.digit),
    digits,
  );
  assert.deepEqual(rec?.transcript.map((t) => t.text), ['Still here.']);
  assert.equal(rec?.status, 'completed');
  assert.equal(rec?.endReason, 'caller-hangup');
  assert.equal(store.stats().droppedOps, 0);
});

test('a call that starts while the database is gone still runs to its end; later calls are recorded again', async () => {
  store.fail('closed');
  const { s, call } = await openCall('flt2');
  s.send({ event: 'dtmf', dtmf: { digit: '9', duration: '100' } });
  await until(() => call.dtmf.length === 1, 5000, 'the agent got the key');
  const r = await ready();
  assert.equal(r.status, 200);
  assert.equal(r.body.store.kind, 'closed');
  s.stop();
  assert.equal((await s.closed).code, 1000);
  await until(() => call.ends.length === 1, 5000, 'the call ended normally');

  store.heal();
  const next = await openCall('flt3');
  next.s.stop();
  await next.s.closed;
  await until(() => next.call.ends.length === 1, 5000, 'the call ended');
  await until(() => store.health().status === 'ok', 5000, 'the store recovered');
  await until(() => store.inner.stats().pendingOps === 0, 5000, 'nothing left pending');
  assert.equal((await store.get('flt3'))?.status, 'completed');
});
