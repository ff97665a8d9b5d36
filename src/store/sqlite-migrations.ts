// Forward-only schema migrations for the SQLite call store. Each runs once, in its own transaction,
// and is recorded in schema_migrations; never edit a released migration, append a new one.
import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls, call_events, call_turns',
    sql: `
      CREATE TABLE calls (
        pk INTEGER PRIMARY KEY,            -- compact key for the event and turn rows
        id TEXT NOT NULL UNIQUE,
        call_sid TEXT,
        stream_sid TEXT,
        call_log_id TEXT,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number TEXT,
        to_number TEXT,
        agent TEXT,
        custom_field TEXT,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        answered_at INTEGER,
        started_at INTEGER,
        ended_at INTEGER,
        end_reason TEXT,
        close_code INTEGER,
        total_ms INTEGER,
        media_ms INTEGER,
        conversation_ms INTEGER,
        recording_url TEXT,
        exotel_status TEXT,
        exotel_legs TEXT,
        exotel_details TEXT
      );
      CREATE INDEX calls_created ON calls (created_at DESC, id DESC);
      CREATE INDEX calls_call_sid ON calls (call_sid) WHERE call_sid IS NOT NULL;
      CREATE UNIQUE INDEX calls_call_log_id ON calls (call_log_id) WHERE call_log_id IS NOT NULL;
      CREATE INDEX calls_from ON calls (from_number, created_at);
      CREATE INDEX calls_to ON calls (to_number, created_at);
      CREATE INDEX calls_status ON calls (status, created_at);

      -- rowid is the append order of the timeline.
      CREATE TABLE call_events (
        call_pk INTEGER NOT NULL REFERENCES calls (pk) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        truncated INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX call_events_call ON call_events (call_pk);

      CREATE TABLE call_turns (
        call_pk INTEGER NOT NULL REFERENCES calls (pk) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('caller', 'agent')),
        text TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        interrupted INTEGER NOT NULL DEFAULT 0,
        heard_text TEXT,
        PRIMARY KEY (call_pk, seq)
      ) WITHOUT ROWID;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Brings the database up to the latest schema; returns the versions before and after. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): { from: number; to: number } {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const current = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
  if (current > latest) {
    throw new Error(`database schema is version ${current}, newer than this build knows (${latest}): refusing to open it`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now);
    }).immediate();
  }
  return { from: current, to: Math.max(current, latest) };
}
