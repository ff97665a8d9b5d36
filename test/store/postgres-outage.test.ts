// Postgres going away mid-call, for real: a TCP relay (test/helpers/tcp-relay.ts) between the store and
// the server is cut while a call writes its timeline, then restored. Calls go on (no write throws), health
// says degraded while it is down, and every write made during the outage lands once it is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { StoreRecoveryInfo } from '../../src/store/store-health.js';
import { classifyWriteError } from '../../src/store/store-health.js';
import { openPostgresCallStore, type PostgresCallStore } from '../../src/store/postgres-call-store.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { TcpRelay } from '../helpers/tcp-relay.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db?.drop());

/** The URL with its host:port replaced by the relay's. */
function through(url: string, relay: TcpRelay): string {
  const u = new URL(url);
  u.host = `127.0.0.1:${relay.port}`;
  return u.toString();
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A live call's traffic: an event every 10 ms numbered from 0, a turn every 20th event. */
function traffic(store: PostgresCallStore, id: string) {
  let events = 0;
  let turns = 0;
  const thrown: unknown[] = [];
  const timer = setInterval(() => {
    try {
      store.appendEvent(id, { type: 'mark', data: { n: events } });
      events++;
      if (events % 20 === 0) {
        store.addTurn(id, { role: turns % 2 ? 'agent' : 'caller', text: `turn ${turns}`, startedAt: Date.now() });
        turns++;
      }
    } catch (err) {
      thrown.push(err);
    }
  }, 10);
  return {
    stop: () => clearInterval(timer),
    get events() {
      return events;
    },
    get turns() {
      return turns;
    },
    thrown,
  };
}

async function outage(mode: 'reset' | 'silent') {
  const url = await db.schema();
  const target = new URL(url);
  const relay = new TcpRelay(Number(target.port), target.hostname);
  await relay.start();
  const recoveries: StoreRecoveryInfo[] = [];
  const store = await openPostgresCallStore({
    connectionString: through(url, relay),
    poolSize: 3,
    statementTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    flushIntervalMs: 50,
    maxRetryDelayMs: 400,
    reportIntervalMs: 0,
    onRecover: (info) => recoveries.push(info),
  });
  try {
    const id = await store.create({ direction: 'inbound', callSid: `CA-${mode}` });
    store.update(id, { status: 'in-progress', startedAt: Date.now() });
    const t = traffic(store, id);
    await waitFor('traffic to land', () => store.stats().flushedEvents > 20);

    relay.cut(mode);
    await waitFor('the store to notice', () => store.health().status === 'degraded');
    const degradedAt = Date.now();
    const h = store.health();
    assert.ok(h.status === 'degraded' && (h.kind === 'closed' || h.kind === 'locked'), JSON.stringify(h));
    await waitFor('a few seconds of outage', () => Date.now() - degradedAt >= 3000);
    const duringOutage = t.events;
    assert.ok(store.stats().pendingOps > 100, `writes buffered: ${store.stats().pendingOps}`);

    relay.restore();
    await waitFor('recovery', () => store.health().status === 'ok' && store.stats().pendingOps < 50);
    t.stop();
    store.update(id, { status: 'completed', endReason: 'caller-hangup' });
    await store.flush();

    assert.deepEqual(t.thrown, [], 'no write threw while Postgres was away');
    assert.ok(t.events > duringOutage);
    // Read straight from Postgres, not through the store.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const ev = await c.query<{ n: number }>(
        "SELECT (e.data->>'n')::int AS n FROM call_events e JOIN calls c ON c.pk = e.call_pk WHERE c.id = $1 ORDER BY e.seq",
        [id],
      );
      assert.deepEqual(ev.rows.map((r) => r.n), Array.from({ length: t.events }, (_, i) => i), 'every event, once, in order');
      const turns = await c.query<{ seq: number }>('SELECT seq FROM call_turns WHERE call_pk = (SELECT pk FROM calls WHERE id = $1) ORDER BY seq', [id]);
      assert.deepEqual(turns.rows.map((r) => r.seq), Array.from({ length: t.turns }, (_, i) => i));
      const call = await c.query<{ status: string; end_reason: string }>('SELECT status, end_reason FROM calls WHERE id = $1', [id]);
      assert.deepEqual(call.rows[0], { status: 'completed', end_reason: 'caller-hangup' });
    } finally {
      await c.end();
    }
    const s = store.stats();
    assert.equal(s.droppedOps, 0);
    assert.ok(s.failedFlushes > 0 && s.writeFailures.closed + s.writeFailures.locked > 0, JSON.stringify(s.writeFailures));
    assert.equal(recoveries.length, 1);
    assert.ok(recoveries[0].degradedMs >= 3000, `degraded for ${recoveries[0].degradedMs} ms`);
  } finally {
    await store.close();
    await relay.close();
  }
}

test('Postgres reset mid-call for 3 s: writes buffer, health degrades, every write lands after', () => outage('reset'));

test('the network to Postgres silently dropping packets for 3 s: the client time-out fires, nothing is lost', () => outage('silent'));

test('a statement held up past the statement time-out (a lock) is retried and lands', async () => {
  const url = await db.schema();
  const store = await openPostgresCallStore({ connectionString: url, statementTimeoutMs: 300, flushIntervalMs: 20, maxRetryDelayMs: 200, reportIntervalMs: 0 });
  const locker = new pg.Client({ connectionString: url });
  await locker.connect();
  try {
    const id = await store.create({ direction: 'inbound' });
    await locker.query('BEGIN');
    await locker.query('SELECT * FROM calls WHERE id = $1 FOR UPDATE', [id]);
    store.update(id, { status: 'in-progress' });
    await waitFor('the time-out', () => store.stats().writeFailures.locked > 0);
    assert.equal(store.health().status, 'degraded');
    assert.equal(store.stats().pendingOps, 1);
    await locker.query('COMMIT');
    await waitFor('the retry to land', () => store.stats().pendingOps === 0 && store.health().status === 'ok');
    assert.equal((await store.get(id))?.status, 'in-progress');
  } finally {
    await locker.end();
    await store.close();
  }
});

test('Postgres errors are classified into the store fault kinds', () => {
  const dbError = (code: string) => Object.assign(new pg.DatabaseError('x', 0, 'error'), { code });
  assert.equal(classifyWriteError(dbError('53100')), 'full');
  assert.equal(classifyWriteError(dbError('57014')), 'locked');
  assert.equal(classifyWriteError(dbError('40P01')), 'locked');
  assert.equal(classifyWriteError(dbError('57P01')), 'closed');
  assert.equal(classifyWriteError(dbError('08006')), 'closed');
  assert.equal(classifyWriteError(dbError('25006')), 'io');
  assert.equal(classifyWriteError(dbError('XX001')), 'io');
  assert.equal(classifyWriteError(dbError('23503')), 'refused');
  assert.equal(classifyWriteError(dbError('22021')), 'refused');
  assert.equal(classifyWriteError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'closed');
  assert.equal(classifyWriteError(new Error('Connection terminated unexpectedly')), 'closed');
  assert.equal(classifyWriteError(new Error('timeout exceeded when trying to connect')), 'closed');
  assert.equal(classifyWriteError(new Error('call pk 3 vanished')), 'refused');
});

test('Postgres unreachable at start-up fails the open with the reason', async () => {
  const relay = new TcpRelay(1);
  await relay.start();
  relay.cut('reset');
  try {
    await assert.rejects(openPostgresCallStore({ connectionString: `postgres://postgres:secret@127.0.0.1:${relay.port}/x`, connectTimeoutMs: 1000 }), /ECONNRESET|terminated|ECONNREFUSED/);
  } finally {
    await relay.close();
  }
});
