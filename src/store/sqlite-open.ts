// Options of the SQLite store, and opening its database: PRAGMAs, migrations, the checkpoint worker.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { Timers } from './flush-scheduler.js';
import { migrate } from './sqlite-migrations.js';
import type { StoreErrorInfo, StoreRecoveryInfo } from './store-health.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import type { FlushInfo } from './write-queue.js';

export interface SqliteCallStoreOptions {
  dataDir: string;
  /** Longest a queued write waits before it is flushed. Default 100. */
  flushIntervalMs?: number;
  /** Flush as soon as this many writes are queued. Default 2000. */
  maxBatchOps?: number;
  /** While flushes fail, keep at most this many writes (the lowest-ranked oldest dropped first). Default 200000. */
  maxPendingOps?: number;
  /** ... and at most about this much memory. Default 32 MiB. */
  maxPendingBytes?: number;
  /** Failed flushes are retried after flushIntervalMs, doubling up to this. Default 5000. */
  maxRetryDelayMs?: number;
  /** How long a write waits for another connection's lock before it fails (and is retried later). Default 1000. */
  busyTimeoutMs?: number;
  /** Event data larger than this (as JSON) is truncated and flagged. Default 4096. */
  maxEventDataBytes?: number;
  /** createOrGetByCallLogId returns the existing call within this window. Default 24 h. */
  idempotencyWindowMs?: number;
  /**
   * WAL checkpoints run on a worker thread every this many ms (see wal-checkpointer.ts). Default 1000.
   * 0 leaves them to SQLite's automatic checkpoint, inside flushes on the main thread.
   */
  checkpointIntervalMs?: number;
  /** Calls whose row key is kept in memory (beyond that, a write costs one indexed read). Default 10000. */
  handleCacheSize?: number;
  clock?: () => number;
  timers?: Timers;
  onFlush?: (info: FlushInfo) => void;
  /**
   * A write failed (kept and retried when the database refuses writes, dropped when the database refused
   * that one write), writes were dropped, or the checkpointer died. At most once a minute per kind.
   */
  onError?: (err: unknown, info: StoreErrorInfo) => void;
  /** The database takes writes again after a fault. */
  onRecover?: (info: StoreRecoveryInfo) => void;
  /** Minimum time between two onError reports of one kind. Default 60000. */
  reportIntervalMs?: number;
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
