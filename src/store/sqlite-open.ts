// Options of the SQLite store, and opening its database: PRAGMAs, migrations, the checkpoint worker.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { migrate } from './sqlite-migrations.js';
import type { QueuedStoreOptions } from './store-options.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export interface SqliteCallStoreOptions extends QueuedStoreOptions {
  dataDir: string;
  /** How long a write waits for another connection's lock before it fails (and is retried later). Default 1000. */
  busyTimeoutMs?: number;
  /**
   * WAL checkpoints run on a worker thread every this many ms (see wal-checkpointer.ts). Default 1000.
   * 0 leaves them to SQLite's automatic checkpoint, inside flushes on the main thread.
   */
  checkpointIntervalMs?: number;
  /** Test seam: runs before every write transaction; what it throws fails the write as the database would. */
  beforeWrite?: () => void;
}

export interface OpenDatabaseOptions {
  busyTimeoutMs: number;
  checkpointIntervalMs: number;
  /** Recorded with the migrations applied. */
  now: number;
  onCheckpointerDeath: (err: Error) => void;
}

/** Opens the database at `path` in WAL mode and migrates it; closes it again if any of that fails. */
export function openDatabase(path: string, o: OpenDatabaseOptions): { db: Db; checkpointer: WalCheckpointer | null } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // Under WAL, synchronous=NORMAL makes a commit an append to the WAL file with no fsync (only
    // checkpoints fsync). A committed flush is then in the OS page cache and survives the process
    // dying (kill -9, crash, OOM): the failure we guard against. Only an OS crash or power loss can
    // lose the last commits, never corrupt the file. FULL would fsync on every flush and stall the
    // main thread (and so the media path) on the disk ten times a second.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // A flush waits this long on the main thread for a lock; a failed flush keeps its writes for a retry.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs))}`);
    db.pragma('journal_size_limit = 67108864');
    migrate(db, undefined, o.now);
    if (o.checkpointIntervalMs <= 0) return { db, checkpointer: null };
    db.pragma('wal_autocheckpoint = 0');
    return { db, checkpointer: new WalCheckpointer({ path, intervalMs: o.checkpointIntervalMs, onDeath: o.onCheckpointerDeath }) };
  } catch (err) {
    db.close();
    throw err;
  }
}
