// kill -9 in the middle of continuous writes: everything the writer reported as flushed must be in
// the database afterwards, and the database must be consistent (whole batches, no gaps per call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { DB_FILE_NAME, openSqliteCallStore } from '../../src/store/sqlite-call-store.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'crash-writer.ts');
const FLUSHES_BEFORE_KILL = 15;

test('a SIGKILLed writer loses nothing it reported flushed, and the database stays consistent', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'exovoice-crash-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir, '50'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let reported = 0;
    let flushes = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      const m = /^flushed (\d+)$/.exec(line);
      assert.ok(m, `unexpected output: ${line}`);
      reported = Number(m[1]);
      if (++flushes >= FLUSHES_BEFORE_KILL && reported > 0) {
        child.kill('SIGKILL');
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL', 'the writer was killed mid-way, not finished');
    assert.ok(reported > 0);

    const db = new Database(join(dataDir, DB_FILE_NAME));
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    const stored = db.prepare("SELECT count(*) FROM call_events WHERE type = 'tick'").pluck().get() as number;
    assert.ok(stored >= reported, `${stored} events stored, ${reported} reported flushed`);
    // Each call's counter n went 0, 1, 2...: a gap would mean a partial batch survived.
    const perCall = db
      .prepare(
        `SELECT call_pk, count(*) AS c, min(json_extract(data, '$.n')) AS lo, max(json_extract(data, '$.n')) AS hi
         FROM call_events WHERE type = 'tick' GROUP BY call_pk`,
      )
      .all() as { call_pk: number; c: number; lo: number; hi: number }[];
    assert.equal(perCall.length, 50);
    for (const r of perCall) assert.deepEqual([r.lo, r.hi], [0, r.c - 1], `call ${r.call_pk} has a gap`);
    const statuses = db.prepare('SELECT DISTINCT status FROM calls').pluck().all();
    assert.deepEqual(statuses, ['in-progress']);
    db.close();

    // The store itself reopens the crashed database and carries on.
    const store = openSqliteCallStore({ dataDir });
    const { items } = await store.list({ limit: 1 });
    const before = await store.get(items[0].id);
    store.appendEvent(items[0].id, { type: 'stop' });
    const seq = store.addTurn(items[0].id, { role: 'agent', text: 'after the crash', startedAt: Date.now() });
    assert.equal(seq, before?.transcript.length);
    const after = await store.get(items[0].id);
    assert.equal(after?.events.length, (before?.events.length ?? 0) + 1);
    await store.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
