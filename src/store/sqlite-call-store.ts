// Embedded SQLite CallStore (better-sqlite3, WAL) at <dataDir>/exovoice.db.
//
// Write path: appendEvent/addTurn/updateTurn/update validate, push onto an in-memory WriteQueue and
// return; the queue flushes in ONE transaction every flushIntervalMs (or sooner when it grows past
// maxBatchOps). better-sqlite3 is synchronous, so a flush runs on the main thread: it is kept short
// (prepared statements, one transaction, no fsync; see the PRAGMAs in sqlite-open.ts) and measured (stats(), onFlush).
// create/createOrGet and reads run synchronously on the HTTP path; reads flush first, so they see every
// write made before them. When the database refuses writes (full, locked, gone) nothing throws on the
// media path: the queue keeps the writes and retries (write-queue.ts), health() says degraded.
// Options and opening: sqlite-open.ts; row mapping: sqlite-rows.ts; statements and reads: sqlite-queries.ts;
// batches: sqlite-batch.ts.
import type { Database as Db } from 'better-sqlite3';
import { join } from 'node:path';
import type { CallRecord, CallStore, ListPage, ListQuery, NewCall } from './call-store.js';
import { checkCallId, parseListQuery, parseNewCall } from './call-validation.js';
import { CallHandles, type Handle } from './call-handles.js';
import { prepareDataDir } from './data-dir.js';
import { CallLogIdConflictError, CallStoreClosedError, CallStoreValidationError } from './errors.js';
import { QueuedCallStore } from './queued-call-store.js';
import { batchWriter } from './sqlite-batch.js';
import { openDatabase, type SqliteCallStoreOptions } from './sqlite-open.js';
import { findCallRow, listCalls, prepareStatements, readRecord, type Statements } from './sqlite-queries.js';
import { fieldsToParams, newCallFields, type CallRow } from './call-rows.js';
import { StoreHealthTracker, isStoreFault } from './store-health.js';
import { queueDefaults } from './store-options.js';
import type { CheckpointStats, WalCheckpointer } from './wal-checkpointer.js';
import { WriteQueue } from './write-queue.js';

export type { FlushInfo } from './write-queue.js';
export type { SqliteCallStoreOptions } from './sqlite-open.js';

export const DB_FILE_NAME = 'exovoice.db';

/** Opens (creating and migrating as needed) the store. Throws DataDirError if dataDir takes no writes. */
export function openSqliteCallStore(options: SqliteCallStoreOptions): SqliteCallStore {
  return new SqliteCallStore(options);
}

export class SqliteCallStore extends QueuedCallStore implements CallStore {
  readonly path: string;
  private readonly db: Db;
  private readonly idempotencyWindowMs: number;
  private readonly beforeWrite: () => void;
  protected override readonly health_: StoreHealthTracker;
  protected override readonly queue: WriteQueue;
  private readonly handles: CallHandles;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly checkpointer: WalCheckpointer | null;
  private readonly stmt: Statements;

  constructor(options: SqliteCallStoreOptions) {
    super(options.clock ?? Date.now, options.maxEventDataBytes ?? 4096);
    this.idempotencyWindowMs = options.idempotencyWindowMs ?? 24 * 3600_000;
    this.beforeWrite = options.beforeWrite ?? (() => {});
    this.health_ = new StoreHealthTracker({
      clock: this.clock,
      reportIntervalMs: options.reportIntervalMs,
      onError: options.onError,
      onRecover: options.onRecover,
    });

    prepareDataDir(options.dataDir);
    this.path = join(options.dataDir, DB_FILE_NAME);
    ({ db: this.db, checkpointer: this.checkpointer } = openDatabase(this.path, {
      busyTimeoutMs: options.busyTimeoutMs ?? 1000,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 1000,
      now: this.clock(),
      onCheckpointerDeath: (err) => {
        if (this.closed) return;
        this.db.pragma('wal_autocheckpoint = 1000');
        this.health_.report('checkpoint', err);
      },
    }));

    this.stmt = prepareStatements(this.db);
    this.handles = new CallHandles((id) => {
      const row = this.stmt.handleById.get(id) as { pk: number; next_seq: number } | undefined;
      return row && { pk: row.pk, nextTurnSeq: row.next_seq };
    }, options.handleCacheSize ?? 10_000);
    const write = batchWriter(this.db, this.stmt, {
      maxEventDataBytes: this.maxEventDataBytes,
      isFault: isStoreFault,
      onRefused: (err) => this.health_.failed(err),
    });
    this.queue = new WriteQueue({
      write: (ops, isolate) => {
        this.beforeWrite();
        return write(ops, isolate);
      },
      health: this.health_,
      ...queueDefaults(options),
      onFlushed: (info) => {
        if (this.queue.pendingOps === 0) this.handles.evict();
        options.onFlush?.(info);
      },
    });
  }

  // ---- HTTP-path writes (synchronous, durable on return) ----

  async create(input: NewCall): Promise<string> {
    this.assertOpen();
    const call = parseNewCall(input);
    return this.insertCall(call).id;
  }

  async createOrGetByCallLogId(input: NewCall & { callLogId: string }): Promise<{ record: CallRecord; created: boolean }> {
    this.assertOpen();
    const call = parseNewCall(input);
    if (call.callLogId === undefined) throw new CallStoreValidationError('invalid call: callLogId is required');
    const callLogId = call.callLogId;
    this.queue.flush('read');
    // IMMEDIATE takes the write lock before the lookup, so no other connection can insert in between.
    const result = this.db
      .transaction(() => {
        const existing = this.stmt.callByLogId.get(callLogId) as CallRow | undefined;
        if (existing === undefined) return { row: this.insertCall(call), created: true };
        if (this.clock() - existing.created_at > this.idempotencyWindowMs) {
          throw new CallLogIdConflictError(callLogId, existing.id, 'created outside the idempotency window');
        }
        return { row: existing, created: false };
      })
      .immediate();
    return { record: readRecord(this.stmt, result.row), created: result.created };
  }

  // ---- reads ----

  async get(key: string): Promise<CallRecord | null> {
    this.assertOpen();
    checkCallId(key);
    this.queue.flush('read');
    const row = findCallRow(this.stmt, key);
    return row === undefined ? null : readRecord(this.stmt, row);
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    this.assertOpen();
    const q = parseListQuery(query);
    this.queue.flush('read');
    return listCalls(this.db, q);
  }

  async delete(id: string): Promise<boolean> {
    this.assertOpen();
    checkCallId(id);
    this.queue.flush('read');
    // The timeline and transcript go with it (ON DELETE CASCADE).
    const { changes } = this.db.prepare('DELETE FROM calls WHERE id = ?').run(id);
    this.handles.forget(id);
    return changes > 0;
  }

  // ---- lifecycle ----

  async flush(): Promise<void> {
    this.assertOpen();
    this.queue.flush('now');
    const pending = this.queue.pendingOps;
    if (pending > 0) throw new Error(`call store flush failed; ${pending} writes still pending`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }



  /** Background WAL checkpoints so far; null when checkpoints are left to SQLite. */
  checkpointStats(): CheckpointStats | null {
    return this.checkpointer === null ? null : { ...this.checkpointer.stats };
  }

  // ---- internals ----

  private async shutDown(): Promise<void> {
    if (!this.closed) this.queue.flush('now');
    const lost = this.queue.discard();
    if (lost > 0) this.health_.report('close', new Error(`call store closed with ${lost} writes that could not be flushed`));
    this.closed = true;
    await this.checkpointer?.stop();
    this.db.close(); // the last connection to close checkpoints the WAL into the database
  }

  private assertOpen(): void {
    if (this.closed) throw new CallStoreClosedError();
  }

  private insertCall(call: NewCall): CallRow {
    const fields = newCallFields(call, this.clock());
    let pk: number;
    try {
      this.beforeWrite();
      pk = Number(this.stmt.insertCall.run(fieldsToParams(fields)).lastInsertRowid);
    } catch (err) {
      if (fields.callLogId !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const existing = this.stmt.callByLogId.get(fields.callLogId) as CallRow | undefined;
        if (existing !== undefined) throw new CallLogIdConflictError(fields.callLogId, existing.id, 'already exists');
      }
      if (isStoreFault(err)) this.health_.failed(err);
      throw err;
    }
    this.queue.databaseWorks();
    this.handles.set(fields.id, pk);
    return this.stmt.callByPk.get(pk) as CallRow;
  }

  protected override resolve(id: string): Handle {
    this.assertOpen();
    return this.handles.resolve(id);
  }
}
