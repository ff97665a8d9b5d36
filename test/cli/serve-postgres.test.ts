// `exovoice serve` with DATABASE_URL: the call records go to Postgres; a Postgres it cannot reach stops
// start-up with one line, the password masked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../helpers/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { startServerProcess as startServer } from '../helpers/server-process.js';
import { TcpRelay } from '../helpers/tcp-relay.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db?.drop());

test('a DATABASE_URL that cannot be reached stops start-up with one line, the password masked', async () => {
  const relay = new TcpRelay(1);
  await relay.start();
  relay.cut('reset');
  try {
    const srv = startServer({ DATABASE_URL: `postgres://exovoice:hunter2-secret@127.0.0.1:${relay.port}/calls` });
    assert.equal(await srv.exited, 1);
    const lines = srv.output().trim().split('\n');
    assert.equal(lines.length, 1, srv.output());
    assert.match(lines[0], new RegExp(`^exovoice: DATABASE_URL postgres://exovoice:\\*\\*\\*@127\\.0\\.0\\.1:${relay.port}/calls cannot hold the call records`));
    assert.doesNotMatch(srv.output(), /hunter2/);
  } finally {
    await relay.close();
  }
});

test('a malformed DATABASE_URL is a configuration error that does not echo it', async () => {
  const srv = startServer({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
  assert.equal(await srv.exited, 1);
  assert.match(srv.output(), /DATABASE_URL: must be a postgres:\/\//);
  assert.doesNotMatch(srv.output(), /hunter2/);
});

test('with DATABASE_URL the records of a call go to Postgres, and nothing to DATA_DIR', async () => {
  const url = await db.schema();
  const dataDir = mkdtempSync(join(tmpdir(), 'exovoice-serve-pg-'));
  const port = await freePort();
  const srv = startServer({ PORT: String(port), DATABASE_URL: url, DATA_DIR: join(dataDir, 'data'), PG_POOL_SIZE: '3' });
  try {
    await srv.listening;
    const res = await fetch(`http://127.0.0.1:${port}/voicebot/connect?CallSid=CA-serve-pg&CallFrom=09876543210`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      let rows: { call_sid: string; direction: string }[] = [];
      for (let i = 0; i < 250 && rows.length === 0; i++) {
        rows = (await c.query("SELECT call_sid, direction FROM calls WHERE call_sid = 'CA-serve-pg'")).rows;
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(rows, [{ call_sid: 'CA-serve-pg', direction: 'inbound' }]);
    } finally {
      await c.end();
    }
    srv.child.kill('SIGTERM');
    assert.equal(await srv.exited, 0);
    assert.deepEqual(readdirSync(dataDir), [], 'no SQLite database was made');
  } finally {
    srv.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
