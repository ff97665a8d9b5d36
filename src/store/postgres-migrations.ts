// Forward-only schema migrations for the Postgres call store, applied at start-up. Several nodes may start
// at once: a session advisory lock serialises them, so each migration runs exactly once, in its own
// transaction, recorded in schema_migrations. Never edit a released migration, append a new one.
// The columns are those of the SQLite store (call-rows.ts maps both); the CHECKs hold what the record types
// allow, so a row another node (or another version) wrote can be read without second-guessing it.
import type { Pool } from 'pg';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'calls, call_events, call_turns',
    sql: `
      CREATE TABLE calls (
        pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- compact key for the event and turn rows
        id text NOT NULL UNIQUE,
        call_sid text,
        stream_sid text,
        call_log_id text CONSTRAINT calls_call_log_id UNIQUE,  -- createOrGetByCallLogId's ON CONFLICT
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number text,
        to_number text,
        agent text,
        custom_field text,
        status text NOT NULL CHECK (status IN ('queued', 'dialing', 'ringing', 'in-progress', 'completed', 'failed', 'busy', 'no-answer', 'canceled')),
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        answered_at bigint,
        started_at bigint,
        ended_at bigint,
        end_reason text CHECK (end_reason IN ('caller-hangup', 'bot-hangup', 'transfer', 'socket-closed', 'error', 'timeout', 'max-duration', 'canceled', 'node-lost')),
        close_code integer,
        total_ms bigint,
        media_ms bigint,
        conversation_ms bigint,
        recording_url text,
        exotel_status text,
        exotel_legs json CHECK (json_typeof(exotel_legs) = 'array'),
        exotel_details json CHECK (json_typeof(exotel_details) = 'object')
      );
      CREATE INDEX calls_created ON calls (created_at DESC, id DESC);
      CREATE INDEX calls_call_sid ON calls (call_sid, created_at DESC, id DESC) WHERE call_sid IS NOT NULL;
      CREATE INDEX calls_from ON calls (from_number, created_at);
      CREATE INDEX calls_to ON calls (to_number, created_at);
      CREATE INDEX calls_status ON calls (status, created_at);

      -- seq is the append order of the timeline, across nodes.
      CREATE TABLE call_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        call_pk bigint NOT NULL REFERENCES calls (pk) ON DELETE CASCADE,
        at bigint NOT NULL,
        type text NOT NULL,
        data json NOT NULL CHECK (json_typeof(data) = 'object'),
        truncated smallint NOT NULL DEFAULT 0 CHECK (truncated IN (0, 1))
      );
      CREATE INDEX call_events_call ON call_events (call_pk, seq);

      CREATE TABLE call_turns (
        call_pk bigint NOT NULL REFERENCES calls (pk) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq >= 0),
        role text NOT NULL CHECK (role IN ('caller', 'agent')),
        text text NOT NULL,
        started_at bigint NOT NULL,
        ended_at bigint,
        interrupted smallint NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
        heard_text text,
        PRIMARY KEY (call_pk, seq)
      );
    `,
  },
];

/** Every Exovoice node takes this lock (pg_advisory_lock's two-key form: 'exov', 1) around its migrations. */
const MIGRATION_LOCK = [0x65786f76, 1] as const;

export interface PgMigrateOptions {
  migrations?: readonly PgMigration[];
  /** Recorded with the migrations applied. */
  now?: number;
  /** How long a node waits for another's migrations (and its own may take). Default 120000. */
  timeoutMs?: number;
}

/** Brings the database up to the latest schema; returns the versions before and after. */
export async function migratePostgres(pool: Pool, o: PgMigrateOptions = {}): Promise<{ from: number; to: number }> {
  const migrations = o.migrations ?? PG_MIGRATIONS;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // The pool's statement_timeout is for the media path's writes; waiting for another node's migration is not one.
    await client.query(`SET statement_timeout = ${Math.max(0, Math.floor(o.timeoutMs ?? 120_000))}`);
    await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at bigint NOT NULL
      )`);
      const res = await client.query<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM schema_migrations');
      const current = res.rows[0].v;
      if (current > latest) {
        throw new Error(`database schema is version ${current}, newer than this build knows (${latest}): refusing to use it`);
      }
      for (const m of migrations) {
        if (m.version <= current) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, o.now ?? Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      return { from: current, to: Math.max(current, latest) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]);
      await client.query('RESET statement_timeout');
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A client that failed mid-way may hold the lock or a transaction: destroy it rather than pool it.
    client.release(broken);
  }
}
