// Options every store with a write-behind queue takes (SQLite's and Postgres's), and their defaults.
import type { Timers } from './flush-scheduler.js';
import type { StoreErrorInfo, StoreRecoveryInfo } from './store-health.js';
import type { FlushInfo } from './write-queue.js';

export interface QueuedStoreOptions {
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
  /** Event data larger than this (as JSON) is truncated and flagged. Default 4096. */
  maxEventDataBytes?: number;
  /** createOrGetByCallLogId returns the existing call within this window. Default 24 h. */
  idempotencyWindowMs?: number;
  /** Calls whose row key is kept in memory. Default 10000. */
  handleCacheSize?: number;
  clock?: () => number;
  timers?: Timers;
  onFlush?: (info: FlushInfo) => void;
  /**
   * A write failed (kept and retried when the database refuses writes, dropped when the database refused
   * that one write), writes were dropped, or a background job died. At most once a minute per kind.
   */
  onError?: (err: unknown, info: StoreErrorInfo) => void;
  /** The database takes writes again after a fault. */
  onRecover?: (info: StoreRecoveryInfo) => void;
  /** Minimum time between two onError reports of one kind. Default 60000. */
  reportIntervalMs?: number;
}

/** The write queue's bound while the database refuses writes (stated in the README's Postgres section). */
export const DEFAULT_MAX_PENDING_OPS = 200_000;
export const DEFAULT_MAX_PENDING_BYTES = 32 * 1024 * 1024;

export const queueDefaults = (o: QueuedStoreOptions) => ({
  flushIntervalMs: o.flushIntervalMs ?? 100,
  maxBatchOps: o.maxBatchOps ?? 2000,
  maxPendingOps: o.maxPendingOps ?? DEFAULT_MAX_PENDING_OPS,
  maxPendingBytes: o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
  maxRetryDelayMs: o.maxRetryDelayMs ?? 5000,
  timers: o.timers,
});
