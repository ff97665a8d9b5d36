// The connection pool of the Postgres store: its size, time-outs, and how values come back.
import pg from 'pg';

export interface PgPoolOptions {
  /** postgres://user:password@host:port/database (?options=-c%20search_path%3Dname for a schema of its own). */
  connectionString: string;
  /** Connections per process. Default 10. */
  poolSize?: number;
  /** Server-side limit on one statement (and, plus a margin, the client's wait for an answer). Default 5000. */
  statementTimeoutMs?: number;
  /** Longest wait for a connection (new or from the pool). Default 5000. */
  connectTimeoutMs?: number;
  /** A pooled connection that is idle and dies (Postgres restarted, network cut): nothing to retry, report it. */
  onIdleError: (err: Error) => void;
}

const INT8_OID = 20;
const JSON_OID = 114;

// Epoch milliseconds and counts are bigint columns: as numbers (they stay far below 2^53). json columns are
// left as text, which is what call-rows.ts parses (as it does SQLite's).
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (value: string) => Number(value);
    if (oid === JSON_OID) return (value: string) => value;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPool(o: PgPoolOptions): pg.Pool {
  const statementTimeoutMs = o.statementTimeoutMs ?? 5000;
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.poolSize ?? 10,
    statement_timeout: statementTimeoutMs,
    // The server cannot cancel a statement whose answer the network loses: the client gives up a little later.
    query_timeout: statementTimeoutMs + 2000,
    connectionTimeoutMillis: o.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'exovoice',
    types,
  });
  // Without a listener, an idle client's error would be an uncaught exception.
  pool.on('error', (err) => o.onIdleError(err));
  return pool;
}
