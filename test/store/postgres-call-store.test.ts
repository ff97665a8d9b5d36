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
