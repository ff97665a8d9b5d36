// A Postgres of the test's own: a fresh database (unique name) on the local server, dropped after, and
// schemas in it for tests that need many empty stores. Fails, saying how to start Postgres, when the
// server cannot be reached: a test that needs Postgres never passes without it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.EXOVOICE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  /** postgres://... of the new database. */
  url: string;
  name: string;
  /** The URL of a new, empty schema in it (search_path set through the connection's options). */
  schema(): Promise<string>;
  drop(): Promise<void>;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${url.replace(/^postgres:\/\/[^@]*@/, 'postgres://')} (${(err as Error).message}). ` +
        'These tests need it (user postgres, trust auth): start it, e.g. `pg_ctlcluster 15 main start`, or ' +
        '`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`, or point EXOVOICE_TEST_PG_URL at one.',
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `exovoice_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(PG_ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(PG_ADMIN_URL, name);
  let schemas = 0;
  return {
    url,
    name,
    async schema() {
      const schema = `s${++schemas}`;
      await admin(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      return u.toString();
    },
    async drop() {
      await admin(PG_ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
