import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualTimers } from '../helpers/manual-timers.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate } from '../../src/store/sqlite-migrations.js';
import {
  DB_FILE_NAME,
  openSqliteCallStore,
  type FlushInfo,
  type SqliteCallStore,
  type SqliteCallStoreOptions,
} from '../../src/store/sqlite-call-store.js';
import { runCallStoreConformance, type CallStoreHarness } from './call-store-conformance.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'exovoice-store-'));
}

runCallStoreConformance('sqlite', async ({ clock }): Promise<CallStoreHarness> => {
  const dataDir = tempDir();
  let current: SqliteCallStore = openSqliteCallStore({ dataDir, clock });
  const harness: CallStoreHarness = {
    store: current,
    async reopen() {
      await current.close();
      current = openSqliteCallStore({ dataDir, clock });
      harness.store = current;
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
});


function open(extra: Partial<SqliteCallStoreOptions> = {}) {
  const dataDir = tempDir();
  const store = openSqliteCallStore({ dataDir, ...extra });
  const peek = () => new Database(join(dataDir, DB_FILE_NAME), { readonly: true });
  const done = async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { dataDir, store, peek, done };
}

test('the database is created in WAL mode, migrated, and a reopen does not migrate again', async () => {
  const { dataDir, store, peek, done } = open();
  try {
    const db = peek();
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    assert.deepEqual(versions, MIGRATIONS.map((m) => m.version));
    db.close();
    await store.close();
    const again = openSqliteCallStore({ dataDir });
    await again.close();
    const db2 = peek();
    assert.equal(db2.prepare('SELECT count(*) FROM schema_migrations').pluck().get(), MIGRATIONS.length);
    db2.close();
  } finally {
    await done();
  }
});

test('migrate applies only the missing versions, and refuses a database newer than the build', () => {
  const db = new Database(':memory:');
  const v1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x)' };
  const v2 = { version: 2, name: 'two', sql: 'ALTER TABLE a ADD COLUMN y' };
  assert.deepEqual(migrate(db, [v1]), { from: 0, to: 1 });
  assert.deepEqual(migrate(db, [v1, v2]), { from: 1, to: 2 });
  assert.deepEqual(migrate(db, [v1, v2]), { from: 2, to: 2 });
  assert.deepEqual(db.prepare('SELECT y FROM a').all(), []);
  assert.throws(() => migrate(db, [v1]), /newer than this build/);
  db.close();
  assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS[MIGRATIONS.length - 1].version);
});

test('a failing migration leaves the schema at the previous version', () => {
  const db = new Database(':memory:');
  const v1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x)' };
  const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE b (x); CREATE TABLE a (x)' };
  migrate(db, [v1]);
  assert.throws(() => migrate(db, [v1, bad]), /already exists/);
  assert.equal(db.prepare('SELECT max(version) FROM schema_migrations').pluck().get(), 1);
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get(), 0);
  db.close();
});

test('media-path writes are queued and written in one flush when the timer fires', async () => {
  const timers = new ManualTimers();
  const flushes: FlushInfo[] = [];
  const { store, peek, done } = open({ timers, flushIntervalMs: 100, onFlush: (i) => flushes.push(i) });
  try {
    const a = await store.create({ direction: 'inbound' });
    const b = await store.create({ direction: 'outbound' });
    for (let i = 0; i < 10; i++) store.appendEvent(i % 2 ? a : b, { type: 'mark', data: { i } });
    store.addTurn(a, { role: 'caller', text: 'hello', startedAt: 1 });
    store.update(b, { status: 'ringing' });
    assert.deepEqual(timers.delays(), [100], 'one timer for the whole batch');
    assert.equal(store.stats().pendingOps, 12);
    const db = peek();
    const count = db.prepare('SELECT count(*) FROM call_events').pluck();
    assert.equal(count.get(), 0, 'nothing written by the calls themselves');
    timers.fire();
    assert.equal(count.get(), 10);
    assert.equal(db.prepare('SELECT status FROM calls WHERE id = ?').pluck().get(b), 'ringing');
    db.close();
    assert.equal(flushes.length, 1);
    assert.deepEqual({ ops: flushes[0].ops, events: flushes[0].events, total: flushes[0].totalEvents }, { ops: 12, events: 10, total: 10 });
    assert.equal(store.stats().pendingOps, 0);
    assert.deepEqual(timers.delays(), [], 'an idle store has no timer');
  } finally {
    await done();
  }
});

test('a batch that reaches maxBatchOps is flushed on the next tick, not in the caller', async () => {
  const timers = new ManualTimers();
  const { store, peek, done } = open({ timers, flushIntervalMs: 100, maxBatchOps: 5 });
  try {
    const id = await store.create({ direction: 'inbound' });
    for (let i = 0; i < 5; i++) store.appendEvent(id, { type: 'mark' });
    assert.deepEqual(timers.delays(), [0]);
    const db = peek();
    assert.equal(db.prepare('SELECT count(*) FROM call_events').pluck().get(), 0);
    timers.fire();
    assert.equal(db.prepare('SELECT count(*) FROM call_events').pluck().get(), 5);
    db.close();
  } finally {
    await done();
  }
});

test('a write that fails at flush time is dropped alone; the rest of the batch lands', async () => {
  const timers = new ManualTimers();
  const errors: unknown[] = [];
  const { dataDir, store, done } = open({ timers, onError: (e) => errors.push(e) });
  try {
    const a = await store.create({ direction: 'inbound' });
    const b = await store.create({ direction: 'inbound' });
    store.appendEvent(a, { type: 'start' });
    store.appendEvent(b, { type: 'start' });
    // Another process deletes call b under us (as a retention job might): its event now violates the FK.
    const other = new Database(join(dataDir, DB_FILE_NAME));
    other.pragma('foreign_keys = ON');
    other.prepare('DELETE FROM calls WHERE id = ?').run(b);
    other.close();
    store.appendEvent(a, { type: 'stop' });
    timers.fire();
    assert.deepEqual((await store.get(a))?.events.map((e) => e.type), ['start', 'stop']);
    assert.equal(store.stats().droppedOps, 1);
    assert.equal(store.stats().pendingOps, 0);
    assert.ok(errors.length >= 1);
  } finally {
    await done();
  }
});

test('calls evicted from the in-memory handle cache still accept writes with the right turn seq', async () => {
  const { store, done } = open({ handleCacheSize: 2 });
  try {
    const first = await store.create({ direction: 'inbound' });
    store.addTurn(first, { role: 'caller', text: 'a', startedAt: 1 });
    for (let i = 0; i < 5; i++) await store.create({ direction: 'inbound' });
    store.appendEvent(first, { type: 'mark' }); // queue something so the flush below evicts
    await store.flush();
    assert.equal(store.addTurn(first, { role: 'agent', text: 'b', startedAt: 2 }), 1);
    store.updateTurn(first, 1, { interrupted: true });
    const rec = await store.get(first);
    assert.deepEqual(rec?.transcript.map((t) => [t.seq, t.interrupted]), [
      [0, false],
      [1, true],
    ]);
  } finally {
    await done();
  }
});

test('lookups by callSid and the list query use indexes', async () => {
  const { store, peek, done } = open();
  try {
    const db = peek();
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    assert.match(plan("SELECT * FROM calls WHERE call_sid = 'x' ORDER BY created_at DESC, id DESC LIMIT 1"), /calls_call_sid/);
    assert.match(plan("SELECT * FROM calls WHERE call_log_id = 'x'"), /calls_call_log_id/);
    assert.match(plan('SELECT * FROM calls c ORDER BY c.created_at DESC, c.id DESC LIMIT 51'), /calls_created/);
    assert.match(plan('SELECT at FROM call_events WHERE call_pk = 1 ORDER BY rowid'), /call_events_call/);
    db.close();
  } finally {
    await done();
  }
});

test('WAL checkpoints run on the worker thread, not in the flushes', async () => {
  const { store, done } = open({ checkpointIntervalMs: 10 });
  try {
    const id = await store.create({ direction: 'inbound' });
    for (let i = 0; i < 500; i++) store.appendEvent(id, { type: 'mark', data: { i } });
    await store.flush();
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0, 'automatic checkpoints are off on the main connection');
    // Wait (bounded) for the worker to report a checkpoint that copied the WAL back.
    for (let i = 0; i < 500 && !((store.checkpointStats()?.lastCheckpointedFrames ?? 0) > 0); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const stats = store.checkpointStats();
    assert.ok(stats && stats.checkpoints > 0 && stats.lastCheckpointedFrames > 0, JSON.stringify(stats));
    assert.equal(stats.errors, 0);
  } finally {
    await done();
  }
});

test('with checkpointIntervalMs 0, SQLite keeps its automatic checkpoints', async () => {
  const { store, done } = open({ checkpointIntervalMs: 0 });
  try {
    assert.equal(store.checkpointStats(), null);
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  } finally {
    await done();
  }
});
