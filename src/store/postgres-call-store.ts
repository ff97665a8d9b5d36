// PostgreSQL CallStore (pg), for a fleet of nodes sharing one database; chosen by DATABASE_URL.
//
// Write path as the SQLite store's: appendEvent/addTurn/updateTurn/update validate, queue (AsyncWriteQueue)
// and return; a flush writes the queue in one transaction every flushIntervalMs (postgres-batch.ts), one
// batch in flight at a time. While Postgres is unreachable or refuses writes, the queue keeps them within
// its bound (store-options.ts) and retries with back-off, health() says degraded, and they land when it is back.
// A media-path write needs the call's row key at once, without a round trip: this node knows it for calls it
// created, calls not over when it started (loaded then), and calls it has read (get, list,
// createOrGetByCallLogId), so a call another node created (the webhook on one node, the WebSocket on
// another) takes writes here once a read found it. createOrGetByCallLogId is one INSERT ... ON CONFLICT on
// the callLogId's unique constraint: atomic across every node. Reads flush this node's queue first.
// Schema: postgres-migrations.ts; pool: postgres-pool.ts; statements: postgres-queries.ts; batches: postgres-batch.ts.
import type { Pool } from 'pg';
import type { CallRecord, CallStore, ListPage, ListQuery, NewCall } from './call-store.js';
import { CallHandles, type Handle } from './call-handles.js';
import { newCallFields, rowToFields, type CallRow } from './call-rows.js';
import { checkCallId, parseListQuery, parseNewCall } from './call-validation.js';
import { CallLogIdConflictError, CallStoreClosedError, CallStoreValidationError } from './errors.js';
import { QueuedCallStore } from './queued-call-store.js';
import { pgBatchWriter } from './postgres-batch.js';
import { migratePostgres } from './postgres-migrations.js';
import { createPool, type PgPoolOptions } from './postgres-pool.js';
import { callByLogId, findCallRow, insertCall, listCalls, liveCalls, readRecord, type SeenCall } from './postgres-queries.js';
import { callValues } from './postgres-rows.js';
import { StoreHealthTracker, isStoreFault } from './store-health.js';
import { queueDefaults, type QueuedStoreOptions } from './store-options.js';
import { AsyncWriteQueue } from './write-queue.js';

export interface PostgresCallStoreOptions extends QueuedStoreOptions, Omit<PgPoolOptions, 'onIdleError'> {
  /** How long start-up waits for another node's migrations. Default 120000. */
  migrationTimeoutMs?: number;
}

/** Connects, migrates (once across nodes starting together) and loads the live calls' handles. */
export async function openPostgresCallStore(options: PostgresCallStoreOptions): Promise<PostgresCallStore> {
  const clock = options.clock ?? Date.now;
  const health = new StoreHealthTracker({
    clock,
    reportIntervalMs: options.reportIntervalMs,
    onError: options.onError,
    onRecover: options.onRecover,
  });
  const pool = createPool({ ...options, onIdleError: (err) => health.report('connection', err) });
  try {
    await migratePostgres(pool, { now: clock(), timeoutMs: options.migrationTimeoutMs });
    const live = await liveCalls(pool, options.handleCacheSize ?? 10_000);
    return new PostgresCallStore(pool, health, options, live);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

export class PostgresCallStore extends QueuedCallStore implements CallStore {
  private readonly idempotencyWindowMs: number;
  protected override readonly queue: AsyncWriteQueue;
  private readonly handles: CallHandles;
  private closed = false;
  private closing: Promise<void> | null = null;

  /** Use openPostgresCallStore. */
  constructor(
    private readonly pool: Pool,
    protected override readonly health_: StoreHealthTracker,
    options: PostgresCallStoreOptions,
    live: SeenCall[],
  ) {
    super(options.clock ?? Date.now, options.maxEventDataBytes ?? 4096);
    this.idempotencyWindowMs = options.idempotencyWindowMs ?? 24 * 3600_000;
    const maxEventDataBytes = this.maxEventDataBytes;
    // No synchronous lookup: a call this node has not seen is not found (see the header).
    this.handles = new CallHandles(() => undefined, options.handleCacheSize ?? 10_000);
    for (const c of live) this.handles.seen(c.id, c.pk, c.nextTurnSeq);
    this.queue = new AsyncWriteQueue({
      write: pgBatchWriter(pool, { maxEventDataBytes, isFault: isStoreFault, onRefused: (err) => this.health_.failed(err) }),
      health: this.health_,
      ...queueDefaults(options),
      onFlushed: (info) => {
        if (this.queue.pendingOps === 0) this.handles.evict();
        options.onFlush?.(info);
      },
    });
  }

  // ---- HTTP-path writes (durable on return) ----

  async create(input: NewCall): Promise<string> {
    this.assertOpen();
    const row = await this.insert(parseNewCall(input), 'throw');
    return row!.id;
  }

  async createOrGetByCallLogId(input: NewCall & { callLogId: string }): Promise<{ record: CallRecord; created: boolean }> {
    this.assertOpen();
    const call = parseNewCall(input);
    if (call.callLogId === undefined) throw new CallStoreValidationError('invalid call: callLogId is required');
    await this.queue.flush('read');
    // The conflicting row may be deleted between the two statements (a retention job): then insert again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.insert(call, 'skip');
      if (inserted !== null) return { record: { ...rowToFields(inserted), events: [], transcript: [] }, created: true };
      const existing = await callByLogId(this.pool, call.callLogId);
      if (existing === undefined) continue;
      if (this.clock() - existing.created_at > this.idempotencyWindowMs) {
        throw new CallLogIdConflictError(call.callLogId, existing.id, 'created outside the idempotency window');
      }
      return { record: await this.readSeen(existing), created: false };
    }
    throw new Error(`callLogId ${JSON.stringify(call.callLogId)}: the conflicting call kept vanishing`);
  }

  // ---- reads ----

  async get(key: string): Promise<CallRecord | null> {
    this.assertOpen();
    checkCallId(key);
    await this.queue.flush('read');
    const row = await findCallRow(this.pool, key);
    return row === undefined ? null : this.readSeen(row);
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    this.assertOpen();
    const q = parseListQuery(query);
    await this.queue.flush('read');
    const { page, seen } = await listCalls(this.pool, q);
    for (const c of seen) this.handles.seen(c.id, c.pk, c.nextTurnSeq);
    return page;
  }

  async delete(id: string): Promise<boolean> {
    this.assertOpen();
    checkCallId(id);
    await this.queue.flush('read');
    // The timeline and transcript go with it (ON DELETE CASCADE).
    const result = await this.pool.query('DELETE FROM calls WHERE id = $1', [id]);
    this.handles.forget(id);
    return (result.rowCount ?? 0) > 0;
  }

  // ---- lifecycle ----

  async flush(): Promise<void> {
    this.assertOpen();
    if (!(await this.queue.flush('now'))) throw new Error(`call store flush failed; ${this.queue.pendingOps} writes still pending`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }



  // ---- internals ----

  private async shutDown(): Promise<void> {
    this.closed = true; // refuse new work while the last flush runs
    await this.queue.flush('now');
    const lost = this.queue.discard();
    if (lost > 0) this.health_.report('close', new Error(`call store closed with ${lost} writes that could not be flushed`));
    await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new CallStoreClosedError();
  }

  /** Inserts the call; 'skip' returns null when its callLogId is taken, 'throw' throws CallLogIdConflictError. */
  private async insert(call: NewCall, onConflict: 'throw' | 'skip'): Promise<CallRow | null> {
    const fields = newCallFields(call, this.clock());
    let row: CallRow | null;
    try {
      row = await insertCall(this.pool, callValues(fields), onConflict);
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (fields.callLogId !== null && e.code === '23505' && e.constraint === 'calls_call_log_id') {
        const existing = await callByLogId(this.pool, fields.callLogId);
        if (existing !== undefined) throw new CallLogIdConflictError(fields.callLogId, existing.id, 'already exists');
      }
      if (isStoreFault(err)) this.health_.failed(err);
      throw err;
    }
    this.queue.databaseWorks();
    if (row !== null) this.handles.set(row.id, row.pk);
    return row;
  }

  /** The full record of a row just read, and its handle kept so that this node takes the call's writes. */
  private async readSeen(row: CallRow): Promise<CallRecord> {
    const record = await readRecord(this.pool, row);
    const last = record.transcript[record.transcript.length - 1];
    this.handles.seen(row.id, row.pk, last === undefined ? 0 : last.seq + 1);
    return record;
  }

  protected override resolve(id: string): Handle {
    this.assertOpen();
    return this.handles.resolve(id);
  }
}
