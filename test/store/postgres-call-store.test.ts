// The Postgres store on the local server: the conformance suite every store passes, then what is
// Postgres's own: migrations (several nodes starting at once), writes for calls another node created, and
// callLogId idempotency across stores.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresCallStore, type PostgresCallStore, type PostgresCallStoreOptions } from '../../src/store/postgres-call-store.js';
import { PG_MIGRATIONS } from '../../src/store/postgres-migrations.js';
import { runCallStoreConformance, type CallStoreHarness } from './call-store-conformance.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db?.drop());

runCallStoreConformance('postgres', async ({ clock }): Promise<CallStoreHarness> => {
  const url = await db.schema();
  let current: PostgresCallStore = await openPostgresCallStore({ connectionString: url, clock, poolSize: 4 });
  const harness: CallStoreHarness = {
    store: current,
    async reopen() {
      await current.close();
      current = await openPostgresCallStore({ connectionString: url, clock, poolSize: 4 });
      harness.store = current;
      return current;
    },
    async cleanup() {
      await current.close();
    },
  };
  return harness;
});

async function open(url: string, extra: Partial<PostgresCallStoreOptions> = {}): Promise<PostgresCallStore> {
  return openPostgresCallStore({ connectionString: url, poolSize: 4, ...extra });
}

async function peek<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, values)).rows;
  } finally {
    await c.end();
  }
}

test('several nodes starting at once on a fresh database migrate it exactly once', async () => {
  const url = await db.schema();
  const stores = await Promise.all(Array.from({ length: 5 }, () => open(url, { poolSize: 2 })));
  try {
    const rows = await peek<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((m) => m.version));
    // Every node works on the one schema.
    const id = await stores[0].create({ direction: 'inbound' });
    assert.equal((await stores[4].get(id))?.id, id);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
  const again = await open(url);
  await again.close();
  assert.equal((await peek(url, 'SELECT * FROM schema_migrations')).length, PG_MIGRATIONS.length, 'a restart does not migrate again');
});

test('a database newer than the build is refused at start-up', async () => {
  const url = await db.schema();
  await (await open(url)).close();
  await peek(url, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from the future', 0)");
  await assert.rejects(open(url), /schema is version 999, newer than this build knows/);
});

test('a call another node created takes this node\'s writes once a read found it, turns continuing its seq', async () => {
  const url = await db.schema();
  const a = await open(url);
  const b = await open(url);
  try {
    const id = await a.create({ direction: 'inbound', callSid: 'CA-x' });
    a.addTurn(id, { role: 'caller', text: 'hello', startedAt: 1 });
    await a.flush();
    assert.throws(() => b.appendEvent(id, { type: 'start' }), /call not found/, 'never seen: not found');
    assert.equal((await b.get('CA-x'))?.id, id); // as record-journal resolves the WebSocket's CallSid
    b.appendEvent(id, { type: 'start' });
    assert.equal(b.addTurn(id, { role: 'agent', text: 'hi there', startedAt: 2 }), 1);
    b.update(id, { status: 'in-progress', startedAt: 2 });
    a.update(id, { status: 'ringing', agent: 'sales' }); // older status from the other node: merged, not regressed
    await Promise.all([a.flush(), b.flush()]);
    const rec = await a.get(id);
    assert.deepEqual(rec?.events.map((e) => e.type), ['start']);
    assert.deepEqual(rec?.transcript.map((t) => [t.seq, t.text]), [
      [0, 'hello'],
      [1, 'hi there'],
    ]);
    assert.equal(rec?.status, 'in-progress');
    assert.equal(rec?.agent, 'sales');

    // A listing lets a node write to the calls it lists (as the status refresher does).
    const c = await open(url);
    try {
      const other = await a.create({ direction: 'outbound' });
      assert.equal((await c.list({ direction: 'outbound' })).items[0].id, other);
      c.appendEvent(other, { type: 'status-refresh' });
      await c.flush();
      assert.deepEqual((await a.get(other))?.events.map((e) => e.type), ['status-refresh']);
    } finally {
      await c.close();
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('a node that restarts takes writes for the calls still live without reading them first', async () => {
  const url = await db.schema();
  const a = await open(url);
  const live = await a.create({ direction: 'inbound' });
  const over = await a.create({ direction: 'inbound' });
  a.addTurn(live, { role: 'caller', text: 'one', startedAt: 1 });
  a.update(over, { status: 'completed' });
  await a.close();
  const b = await open(url);
  try {
    assert.equal(b.addTurn(live, { role: 'agent', text: 'two', startedAt: 2 }), 1);
    assert.throws(() => b.appendEvent(over, { type: 'late' }), /call not found/);
  } finally {
    await b.close();
  }
});

test('createOrGetByCallLogId racing on two nodes creates exactly one call', async () => {
  const url = await db.schema();
  const nodes = [await open(url), await open(url)];
  try {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => nodes[i % 2].createOrGetByCallLogId({ direction: 'outbound', to: '+919800000001', callLogId: `race-${round}` })),
      );
      assert.equal(results.filter((r) => r.created).length, 1, `round ${round}`);
      assert.equal(new Set(results.map((r) => r.record.id)).size, 1);
    }
    assert.equal((await peek<{ n: number }>(url, 'SELECT count(*)::int AS n FROM calls'))[0].n, 5);
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
});

test('text Postgres cannot hold (U+0000) is replaced, not the whole write lost', async () => {
  const url = await db.schema();
  const s = await open(url);
  try {
    const id = await s.create({ direction: 'inbound', from: 'a\0b' });
    s.addTurn(id, { role: 'caller', text: 'x\0y', startedAt: 1 });
    s.appendEvent(id, { type: 'dtmf', data: { digit: '\0' } });
    await s.flush();
    const rec = await s.get(id);
    assert.equal(rec?.from, 'a\uFFFDb');
    assert.equal(rec?.transcript[0].text, 'x\uFFFDy');
    assert.deepEqual(rec?.events[0].data, { digit: '\0' }, 'JSON keeps it escaped');
    assert.equal(s.stats().droppedOps, 0);
  } finally {
    await s.close();
  }
});

test('a write refused at flush time is dropped alone; the rest of the batch lands', async () => {
  const url = await db.schema();
  const errors: unknown[] = [];
  const s = await open(url, { onError: (e) => errors.push(e) });
  try {
    const a = await s.create({ direction: 'inbound' });
    const b = await s.create({ direction: 'inbound' });
    s.appendEvent(a, { type: 'start' });
    s.appendEvent(b, { type: 'start' });
    s.update(b, { status: 'in-progress' });
    await peek(url, 'DELETE FROM calls WHERE id = $1', [b]); // a retention job on another node
    s.appendEvent(a, { type: 'stop' });
    await s.flush();
    assert.deepEqual((await s.get(a))?.events.map((e) => e.type), ['start', 'stop']);
    assert.equal(s.stats().droppedOps, 2);
    assert.equal(s.stats().pendingOps, 0);
    assert.equal(s.health().status, 'ok');
    assert.ok(errors.length >= 1);
  } finally {
    await s.close();
  }
});

test('lookups by callSid, callLogId and the list query use indexes', async () => {
  const url = await db.schema();
  const s = await open(url);
  await s.close();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SET enable_seqscan = off');
    const explain = async (sql: string) => ((await c.query(`EXPLAIN ${sql}`)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join(' | ');
    assert.match(await explain("SELECT * FROM calls WHERE call_sid = 'x' ORDER BY created_at DESC, id DESC LIMIT 1"), /calls_call_sid/);
    assert.match(await explain("SELECT * FROM calls WHERE call_log_id = 'x'"), /calls_call_log_id/);
    assert.match(await explain('SELECT * FROM calls c ORDER BY c.created_at DESC, c.id DESC LIMIT 51'), /calls_created/);
    assert.match(await explain('SELECT at FROM call_events WHERE call_pk = 1 ORDER BY seq'), /call_events_call/);
  } finally {
    await c.end();
  }
});
