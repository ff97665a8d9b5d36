// The database refusing writes (disk full, locked, connection gone) never throws on the media path:
// writes wait in a bounded queue, are retried with back-off, counted and reported once a minute, and
// land when the database recovers. Real SQLite faults where SQLite can make them, injected ones otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualTimers } from '../helpers/manual-timers.js';
import { DataDirError, prepareDataDir } from '../../src/store/data-dir.js';
import { DB_FILE_NAME, openSqliteCallStore, type SqliteCallStoreOptions } from '../../src/store/sqlite-call-store.js';
import type { StoreErrorInfo, StoreRecoveryInfo } from '../../src/store/store-health.js';
import { FaultyCallStore } from './faulty-call-store.js';


function setup(extra: Partial<SqliteCallStoreOptions> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'exovoice-faults-'));
  let now = Date.UTC(2026, 0, 1);
  const timers = new ManualTimers();
  const errors: { err: unknown; info: StoreErrorInfo }[] = [];
  const recoveries: StoreRecoveryInfo[] = [];
  const options: Omit<SqliteCallStoreOptions, 'beforeWrite'> = {
    dataDir,
    timers,
    clock: () => now,
    checkpointIntervalMs: 0,
    onError: (err, info) => errors.push({ err, info }),
    onRecover: (info) => recoveries.push(info),
    ...extra,
  };
  return {
    dataDir,
    timers,
    errors,
    recoveries,
    options,
    advance: (ms: number) => (now += ms),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

const dbOf = (store: unknown) => (store as { db: Database.Database }).db;

test('a real SQLITE_FULL keeps every write queued, backs off, reports once, and lands it all on recovery', async () => {
  const t = setup();
  const store = openSqliteCallStore(t.options);
  try {
    const id = await store.create({ direction: 'inbound' });
    const db = dbOf(store);
    // The database may not grow past its current size: the next pages an insert needs are "disk full".
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const pad = 'x'.repeat(3000);
    for (let i = 0; i < 50; i++) store.appendEvent(id, { type: 'mark', data: { i, pad } });
    store.update(id, { status: 'in-progress', startedAt: 5 });
    t.timers.fire();
    assert.equal(store.stats().pendingOps, 51, 'nothing dropped: all kept for a retry');
    assert.equal(store.stats().droppedOps, 0);
    assert.equal(store.stats().writeFailures.full, 1);
    const h = store.health();
    assert.equal(h.status, 'degraded');
    assert.ok(h.status === 'degraded' && h.kind === 'full' && h.pendingOps === 51 && h.failures === 1);
    assert.equal(h.since, new Date(Date.UTC(2026, 0, 1)).toISOString());

    // Retries double their delay, and more writes do not bring the retry forward.
    const delays: number[] = [];
    for (let k = 0; k < 4; k++) {
      store.appendEvent(id, { type: 'mark', data: { i: 50 + k } });
      delays.push(...t.timers.delays());
      t.timers.fire();
    }
    assert.deepEqual(delays, [100, 200, 400, 800]);
    assert.equal(t.errors.length, 1, 'one report while the clock stands still');
    assert.equal(t.errors[0].info.kind, 'full');
    assert.equal(store.stats().writeFailures.full, 5);

    // A read during the back-off does not retry the failing write, and sees what is durable.
    assert.equal((await store.get(id))?.events.length, 0);
    assert.equal(store.stats().writeFailures.full, 5);

    db.pragma('max_page_count = 1073741823');
    t.timers.fire();
    assert.equal(store.stats().pendingOps, 0);
    assert.equal(store.health().status, 'ok');
    assert.equal(t.recoveries.length, 1);
    assert.deepEqual({ kind: t.recoveries[0].kind, failures: t.recoveries[0].failures }, { kind: 'full', failures: 5 });
    const rec = await store.get(id);
    assert.equal(rec?.events.length, 54);
    assert.deepEqual(rec?.events.map((e) => e.data.i), Array.from({ length: 54 }, (_, i) => i));
    assert.equal(rec?.status, 'in-progress');
  } finally {
    await store.close();
    t.cleanup();
  }
});

test('a real lock held by another connection fails the flush fast (busy timeout) and the writes land when it is released', async () => {
  const t = setup({ busyTimeoutMs: 10 });
  const store = openSqliteCallStore(t.options);
  const other = new Database(join(t.dataDir, DB_FILE_NAME));
  try {
    const id = await store.create({ direction: 'inbound' });
    other.prepare('BEGIN IMMEDIATE').run();
    store.appendEvent(id, { type: 'mark' });
    t.timers.fire();
    assert.equal(store.stats().writeFailures.locked, 1);
    assert.equal(store.stats().pendingOps, 1);
    const h = store.health();
    assert.ok(h.status === 'degraded' && h.kind === 'locked', JSON.stringify(h));
    await assert.rejects(store.create({ direction: 'inbound' }), /locked/);
    assert.equal(store.stats().writeFailures.locked, 2, 'a failed create counts too');
    other.prepare('COMMIT').run();
    t.timers.fire();
    assert.equal(store.health().status, 'ok');
    assert.equal((await store.get(id))?.events.length, 1);
  } finally {
    other.close();
    await store.close();
    t.cleanup();
  }
});

test('past maxPendingOps the oldest events are shed first; turns and the final call fields are kept', async () => {
  const t = setup({ maxPendingOps: 100 });
  const store = new FaultyCallStore(t.options);
  try {
    const id = await store.create({ direction: 'inbound' });
    store.fail('full');
    store.addTurn(id, { role: 'caller', text: 'hello', startedAt: 1 });
    for (let i = 0; i < 300; i++) store.appendEvent(id, { type: 'mark', data: { i } });
    store.update(id, { status: 'completed', endedAt: 9, endReason: 'caller-hangup' });
    t.timers.fire();
    const s = store.stats();
    assert.ok(s.pendingOps <= 100, `${s.pendingOps} pending`);
    assert.ok(s.overflowDroppedOps >= 200, `${s.overflowDroppedOps} dropped`);
    assert.equal(s.droppedOps, s.overflowDroppedOps);
    assert.ok(t.errors.some((e) => e.info.kind === 'overflow'));
    store.heal();
    t.timers.fire();
    const rec = await store.get(id);
    assert.equal(rec?.transcript.length, 1, 'the turn was kept');
    assert.equal(rec?.status, 'completed', 'the final fields were kept');
    assert.equal(rec?.endReason, 'caller-hangup');
    const kept = rec!.events.map((e) => e.data.i as number);
    assert.equal(kept.length + s.overflowDroppedOps, 300);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, k) => 300 - kept.length + k), 'the newest events survive');
  } finally {
    store.heal();
    await store.close();
    t.cleanup();
  }
});

test('past maxPendingBytes the queue sheds too, and keeps its memory estimate under the bound', async () => {
  const t = setup({ maxPendingBytes: 100_000 });
  const store = new FaultyCallStore(t.options);
  try {
    const id = await store.create({ direction: 'inbound' });
    store.fail('locked');
    const pad = 'y'.repeat(2000);
    for (let i = 0; i < 200; i++) {
      store.appendEvent(id, { type: 'mark', data: { i, pad } });
      assert.ok(store.stats().pendingBytes <= 100_000);
    }
    assert.ok(store.stats().overflowDroppedOps > 100);
    store.heal();
    await store.flush();
    assert.equal(store.stats().pendingBytes, 0);
    assert.equal((await store.get(id))?.events.length, 200 - store.stats().overflowDroppedOps);
  } finally {
    store.heal();
    await store.close();
    t.cleanup();
  }
});

test('reports are throttled to one a minute per kind, with the count of those suppressed', async () => {
  const t = setup();
  const store = new FaultyCallStore(t.options);
  try {
    const id = await store.create({ direction: 'inbound' });
    store.fail('closed');
    for (let k = 0; k < 5; k++) {
      store.appendEvent(id, { type: 'mark' });
      t.timers.fire();
      t.advance(10_000);
    }
    assert.equal(t.errors.length, 1);
    t.advance(20_000); // 70 s after the first report
    store.appendEvent(id, { type: 'mark' });
    t.timers.fire();
    assert.equal(t.errors.length, 2);
    assert.deepEqual(t.errors[1].info, { kind: 'closed', suppressed: 4 });
    assert.equal(store.stats().writeFailures.closed, 6);
    assert.equal(store.health().status, 'degraded');
    store.heal();
    t.timers.fire();
    assert.equal(store.health().status, 'ok');
    assert.equal((await store.get(id))?.events.length, 6);
    // A new episode is reported at once.
    store.fail('full');
    store.appendEvent(id, { type: 'mark' });
    t.timers.fire();
    assert.equal(t.errors.length, 3);
  } finally {
    store.heal();
    await store.close();
    t.cleanup();
  }
});

test('one refused write is dropped alone and does not make the store degraded', async () => {
  const t = setup();
  const store = openSqliteCallStore(t.options);
  try {
    const a = await store.create({ direction: 'inbound' });
    const b = await store.create({ direction: 'inbound' });
    store.appendEvent(b, { type: 'start' });
    const other = new Database(join(t.dataDir, DB_FILE_NAME));
    other.prepare('DELETE FROM calls WHERE id = ?').run(b);
    other.close();
    store.appendEvent(a, { type: 'start' });
    t.timers.fire();
    assert.equal(store.stats().writeFailures.refused, 1);
    assert.equal(store.stats().droppedOps, 1);
    assert.equal(store.health().status, 'ok');
  } finally {
    await store.close();
    t.cleanup();
  }
});

test('a successful create while degraded retries the queued writes at once', async () => {
  const t = setup();
  const store = new FaultyCallStore(t.options);
  try {
    const id = await store.create({ direction: 'inbound' });
    store.fail('full');
    store.appendEvent(id, { type: 'mark' });
    t.timers.fire();
    t.timers.fire(); // a second failure: the next retry waits 200 ms
    assert.deepEqual(t.timers.delays(), [200]);
    await assert.rejects(store.create({ direction: 'inbound' }), /full/);
    store.heal();
    await store.create({ direction: 'inbound' });
    assert.deepEqual(t.timers.delays(), [0]);
    t.timers.fire();
    assert.equal(store.health().status, 'ok');
    assert.equal((await store.get(id))?.events.length, 1);
  } finally {
    store.heal();
    await store.close();
    t.cleanup();
  }
});

test('a data dir that cannot be created or written is refused with one line naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-datadir-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    // Through a regular file: fails even as root, unlike a chmod.
    assert.throws(
      () => prepareDataDir(join(file, 'sub')),
      (err: unknown) => err instanceof DataDirError && /a-file\/sub is not writable: ENOTDIR/.test(err.message) && !err.message.includes('\n'),
    );
    assert.throws(() => openSqliteCallStore({ dataDir: join(file, 'sub') }), DataDirError);
    prepareDataDir(join(dir, 'new', 'nested'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
