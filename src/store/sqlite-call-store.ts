// Embedded SQLite CallStore (better-sqlite3, WAL) at <dataDir>/exovoice.db.
//
// Write path: appendEvent/addTurn/updateTurn/update validate, push onto an in-memory queue and
// return; a FlushScheduler flushes the queue in ONE transaction every flushIntervalMs (or sooner when
// it grows past maxBatchOps). better-sqlite3 is synchronous, so a flush runs on the main thread:
// it is kept short (prepared statements, one transaction, no fsync; see PRAGMAs below) and measured
// (stats(), onFlush). create/createOrGet and reads run synchronously on the HTTP path; reads flush
// first, so they see every write made before them.
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  CallEvent,
  CallFields,
  CallRecord,
  CallStore,
  CallStoreStats,
  CallSummary,
  CallUpdate,
  ListPage,
  ListQuery,
  NewCall,
  NewCallEvent,
  NewTurn,
  TranscriptTurn,
  TurnUpdate,
} from './call-store.js';
import { newCallId } from './call-id.js';
import { applyCallUpdate, deriveDurations } from './call-merge.js';
import {
  DEFAULT_LIST_LIMIT,
  checkCallId,
  checkEvent,
  checkTurnSeq,
  parseCallUpdate,
  parseListQuery,
  parseNewCall,
  parseNewTurn,
  parseTurnUpdate,
} from './call-validation.js';
import { CallLogIdConflictError, CallNotFoundError, CallStoreClosedError, CallStoreValidationError } from './errors.js';
import { FlushScheduler, type Timers } from './flush-scheduler.js';
import { WalCheckpointer, type CheckpointStats } from './wal-checkpointer.js';
import { capJson } from './json-cap.js';
import { decodeCursor, encodeCursor } from './list-cursor.js';
import { migrate } from './sqlite-migrations.js';

export const DB_FILE_NAME = 'exovoice.db';

export interface FlushInfo {
  durationMs: number;
  ops: number;
  events: number;
  /** Events made durable since the store opened (this flush included). */
  totalEvents: number;
}

export interface SqliteCallStoreOptions {
  dataDir: string;
  /** Longest a queued write waits before it is flushed. Default 100. */
  flushIntervalMs?: number;
  /** Flush as soon as this many writes are queued. Default 2000. */
  maxBatchOps?: number;
  /** While flushes fail, keep at most this many writes (oldest dropped first). Default 200000. */
  maxPendingOps?: number;
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
  /** A flush failed (writes are kept and retried) or writes were dropped. */
  onError?: (err: unknown) => void;
}

/** Opens (creating and migrating as needed) the store. */
export function openSqliteCallStore(options: SqliteCallStoreOptions): SqliteCallStore {
  return new SqliteCallStore(options);
}

type Op =
  | { kind: 'event'; pk: number; at: number; type: string; data: string; truncated: 0 | 1 }
  | { kind: 'turn'; pk: number; turn: TranscriptTurn }
  | { kind: 'turn-update'; pk: number; seq: number; patch: TurnUpdate }
  | { kind: 'patch'; pk: number; at: number; patch: CallUpdate };

interface Handle {
  pk: number;
  nextTurnSeq: number;
}

interface CallRow {
  pk: number;
  id: string;
  call_sid: string | null;
  stream_sid: string | null;
  call_log_id: string | null;
  direction: 'inbound' | 'outbound';
  from_number: string | null;
  to_number: string | null;
  agent: string | null;
  custom_field: string | null;
  status: CallFields['status'];
  created_at: number;
  updated_at: number;
  answered_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  end_reason: CallFields['endReason'];
  close_code: number | null;
  total_ms: number | null;
  media_ms: number | null;
  conversation_ms: number | null;
  recording_url: string | null;
  exotel_status: string | null;
  exotel_legs: string | null;
  exotel_details: string | null;
}

const CALL_COLUMNS = `id, call_sid, stream_sid, call_log_id, direction, from_number, to_number, agent, custom_field,
  status, created_at, updated_at, answered_at, started_at, ended_at, end_reason, close_code, total_ms, media_ms,
  conversation_ms, recording_url, exotel_status, exotel_legs, exotel_details`;
const CALL_PARAMS = `@id, @call_sid, @stream_sid, @call_log_id, @direction, @from_number, @to_number, @agent,
  @custom_field, @status, @created_at, @updated_at, @answered_at, @started_at, @ended_at, @end_reason, @close_code,
  @total_ms, @media_ms, @conversation_ms, @recording_url, @exotel_status, @exotel_legs, @exotel_details`;

export class SqliteCallStore implements CallStore {
  readonly path: string;
  private readonly db: Db;
  private readonly clock: () => number;
  private readonly scheduler: FlushScheduler;
  private readonly maxPendingOps: number;
  private readonly maxEventDataBytes: number;
  private readonly idempotencyWindowMs: number;
  private readonly handleCacheSize: number;
  private readonly onFlush: ((info: FlushInfo) => void) | undefined;
  private readonly onError: (err: unknown) => void;
  private queue: Op[] = [];
  private readonly handles = new Map<string, Handle>();
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly checkpointer: WalCheckpointer | null = null;
  private readonly counters: Omit<CallStoreStats, 'pendingOps'> = {
    flushes: 0,
    failedFlushes: 0,
    flushedOps: 0,
    flushedEvents: 0,
    droppedOps: 0,
    lastFlushMs: 0,
    maxFlushMs: 0,
  };

  private readonly stmt: {
    insertCall: Statement;
    updateCall: Statement;
    callByPk: Statement;
    callById: Statement;
    callBySid: Statement;
    callByLogId: Statement;
    handleById: Statement;
    insertEvent: Statement;
    insertTurn: Statement;
    updateTurn: Statement;
    eventsOf: Statement;
    turnsOf: Statement;
  };
  private readonly writeBatch: (ops: Op[], isolate: boolean) => number;
  private readonly savepoint: (fn: () => void) => void;

  constructor(options: SqliteCallStoreOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxPendingOps = options.maxPendingOps ?? 200_000;
    this.maxEventDataBytes = options.maxEventDataBytes ?? 4096;
    this.idempotencyWindowMs = options.idempotencyWindowMs ?? 24 * 3600_000;
    this.handleCacheSize = options.handleCacheSize ?? 10_000;
    this.onFlush = options.onFlush;
    this.onError = options.onError ?? (() => {});

    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, DB_FILE_NAME);
    this.db = new Database(this.path);
    try {
      this.db.pragma('journal_mode = WAL');
      // Under WAL, synchronous=NORMAL makes a commit an append to the WAL file with no fsync (only
      // checkpoints fsync). A committed flush is then in the OS page cache and survives the process
      // dying (kill -9, crash, OOM): the failure we guard against. Only an OS crash or power loss can
      // lose the last commits, never corrupt the file. FULL would fsync on every flush and stall the
      // main thread (and so the media path) on the disk ten times a second.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('journal_size_limit = 67108864');
      migrate(this.db, undefined, this.clock());
      const checkpointIntervalMs = options.checkpointIntervalMs ?? 1000;
      if (checkpointIntervalMs > 0) {
        this.db.pragma('wal_autocheckpoint = 0');
        this.checkpointer = new WalCheckpointer({
          path: this.path,
          intervalMs: checkpointIntervalMs,
          onDeath: (err) => {
            if (this.closed) return;
            this.db.pragma('wal_autocheckpoint = 1000');
            this.onError(err);
          },
        });
      }
    } catch (err) {
      this.db.close();
      throw err;
    }

    const db = this.db;
    this.stmt = {
      insertCall: db.prepare(`INSERT INTO calls (${CALL_COLUMNS}) VALUES (${CALL_PARAMS})`),
      updateCall: db.prepare(
        `UPDATE calls SET (${CALL_COLUMNS}) = (${CALL_PARAMS}) WHERE pk = @pk`,
      ),
      callByPk: db.prepare('SELECT * FROM calls WHERE pk = ?'),
      callById: db.prepare('SELECT * FROM calls WHERE id = ?'),
      callBySid: db.prepare('SELECT * FROM calls WHERE call_sid = ? ORDER BY created_at DESC, id DESC LIMIT 1'),
      callByLogId: db.prepare('SELECT * FROM calls WHERE call_log_id = ?'),
      handleById: db.prepare(
        'SELECT pk, (SELECT coalesce(max(seq) + 1, 0) FROM call_turns WHERE call_pk = calls.pk) AS next_seq FROM calls WHERE id = ?',
      ),
      insertEvent: db.prepare('INSERT INTO call_events (call_pk, at, type, data, truncated) VALUES (?, ?, ?, ?, ?)'),
      insertTurn: db.prepare(
        'INSERT INTO call_turns (call_pk, seq, role, text, started_at, ended_at, interrupted, heard_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateTurn: db.prepare(
        `UPDATE call_turns SET text = coalesce(@text, text), ended_at = coalesce(@endedAt, ended_at),
           interrupted = coalesce(@interrupted, interrupted), heard_text = coalesce(@heardText, heard_text)
         WHERE call_pk = @pk AND seq = @seq`,
      ),
      eventsOf: db.prepare('SELECT at, type, data, truncated FROM call_events WHERE call_pk = ? ORDER BY rowid'),
      turnsOf: db.prepare('SELECT * FROM call_turns WHERE call_pk = ? ORDER BY seq'),
    };
    this.savepoint = db.transaction((fn: () => void) => fn());
    this.writeBatch = db.transaction((ops: Op[], isolate: boolean) => this.applyOps(ops, isolate));
    this.scheduler = new FlushScheduler(() => this.flushQueue(), {
      intervalMs: options.flushIntervalMs ?? 100,
      maxBatchOps: options.maxBatchOps ?? 2000,
      timers: options.timers,
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
    this.flushQueue();
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
    return { record: this.readRecord(result.row), created: result.created };
  }

  // ---- media-path writes (queued, never touch the disk) ----

  appendEvent(id: string, event: NewCallEvent): void {
    const handle = this.resolve(id);
    const at = checkEvent(event?.type, event?.at, event?.data, this.clock());
    let capped;
    try {
      capped = capJson(event.data, this.maxEventDataBytes);
    } catch (err) {
      throw new CallStoreValidationError(`invalid event.data: not serializable as JSON (${(err as Error).message})`);
    }
    this.enqueue({
      kind: 'event',
      pk: handle.pk,
      at,
      type: event.type,
      data: capped.json,
      truncated: capped.truncated ? 1 : 0,
    });
  }

  addTurn(id: string, turn: NewTurn): number {
    const handle = this.resolve(id);
    const t = parseNewTurn(turn);
    const seq = handle.nextTurnSeq++;
    const stored: TranscriptTurn = {
      seq,
      role: t.role,
      text: t.text,
      startedAt: t.startedAt,
      endedAt: t.endedAt ?? null,
      interrupted: t.interrupted ?? false,
    };
    if (t.heardText !== undefined) stored.heardText = t.heardText;
    this.enqueue({ kind: 'turn', pk: handle.pk, turn: stored });
    return seq;
  }

  updateTurn(id: string, seq: number, patch: TurnUpdate): void {
    const handle = this.resolve(id);
    checkTurnSeq(seq);
    if (seq >= handle.nextTurnSeq) throw new CallStoreValidationError(`invalid turn seq: call ${id} has no turn ${seq}`);
    this.enqueue({ kind: 'turn-update', pk: handle.pk, seq, patch: parseTurnUpdate(patch) });
  }

  update(id: string, patch: CallUpdate): void {
    const handle = this.resolve(id);
    this.enqueue({ kind: 'patch', pk: handle.pk, at: this.clock(), patch: parseCallUpdate(patch) });
  }

  attachCallSid(id: string, callSid: string, streamSid?: string): void {
    this.update(id, streamSid === undefined ? { callSid } : { callSid, streamSid });
  }

  // ---- reads ----

  async get(key: string): Promise<CallRecord | null> {
    this.assertOpen();
    checkCallId(key);
    this.flushQueue();
    const row = (this.stmt.callById.get(key) ?? this.stmt.callBySid.get(key) ?? this.stmt.callByLogId.get(key)) as
      | CallRow
      | undefined;
    return row === undefined ? null : this.readRecord(row);
  }

  async list(query: ListQuery = {}): Promise<ListPage> {
    this.assertOpen();
    const q = parseListQuery(query);
    const limit = q.limit ?? DEFAULT_LIST_LIMIT;
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.status !== undefined) {
      where.push('c.status = ?');
      params.push(q.status);
    }
    if (q.direction !== undefined) {
      where.push('c.direction = ?');
      params.push(q.direction);
    }
    if (q.number !== undefined) {
      where.push('(c.from_number = ? OR c.to_number = ?)');
      params.push(q.number, q.number);
    }
    if (q.from !== undefined) {
      where.push('c.created_at >= ?');
      params.push(dateMs(q.from, 'from'));
    }
    if (q.to !== undefined) {
      where.push('c.created_at < ?');
      params.push(dateMs(q.to, 'to'));
    }
    if (q.cursor !== undefined) {
      const pos = decodeCursor(q.cursor);
      where.push('(c.created_at, c.id) < (?, ?)');
      params.push(pos.createdAt, pos.id);
    }
    this.flushQueue();
    const rows = this.db
      .prepare(
        `SELECT c.*,
           (SELECT count(*) FROM call_events e WHERE e.call_pk = c.pk) AS event_count,
           (SELECT count(*) FROM call_turns t WHERE t.call_pk = c.pk) AS turn_count
         FROM calls c ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY c.created_at DESC, c.id DESC LIMIT ?`,
      )
      .all(...params, limit + 1) as (CallRow & { event_count: number; turn_count: number })[];
    const more = rows.length > limit;
    const items: CallSummary[] = rows
      .slice(0, limit)
      .map((r) => ({ ...rowToFields(r), eventCount: r.event_count, turnCount: r.turn_count }));
    const last = items[items.length - 1];
    return { items, nextCursor: more ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
  }

  // ---- lifecycle ----

  async flush(): Promise<void> {
    this.assertOpen();
    this.flushQueue();
    if (this.queue.length > 0) throw new Error(`call store flush failed; ${this.queue.length} writes still pending`);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  stats(): CallStoreStats {
    return { pendingOps: this.queue.length, ...this.counters };
  }

  /** Background WAL checkpoints so far; null when checkpoints are left to SQLite. */
  checkpointStats(): CheckpointStats | null {
    return this.checkpointer === null ? null : { ...this.checkpointer.stats };
  }

  // ---- internals ----

  private async shutDown(): Promise<void> {
    this.flushQueue();
    if (this.queue.length > 0) {
      this.counters.droppedOps += this.queue.length;
      this.onError(new Error(`call store closed with ${this.queue.length} writes that could not be flushed`));
      this.queue = [];
    }
    this.scheduler.cancel();
    this.closed = true;
    await this.checkpointer?.stop();
    this.db.close(); // the last connection to close checkpoints the WAL into the database
  }

  private assertOpen(): void {
    if (this.closed) throw new CallStoreClosedError();
  }

  private insertCall(call: NewCall): CallRow {
    const now = this.clock();
    const createdAt = call.createdAt ?? now;
    const fields: CallFields = {
      id: newCallId(createdAt),
      callSid: call.callSid ?? null,
      streamSid: call.streamSid ?? null,
      callLogId: call.callLogId ?? null,
      direction: call.direction,
      from: call.from ?? null,
      to: call.to ?? null,
      agent: call.agent ?? null,
      customField: call.customField ?? null,
      status: call.status ?? (call.direction === 'outbound' ? 'queued' : 'ringing'),
      createdAt,
      updatedAt: now,
      answeredAt: null,
      startedAt: null,
      endedAt: null,
      endReason: null,
      closeCode: null,
      durations: deriveDurations({ createdAt, answeredAt: null, startedAt: null, endedAt: null }),
      recordingUrl: null,
      exotelStatus: null,
      exotelLegs: null,
      exotelDetails: null,
    };
    let pk: number;
    try {
      pk = Number(this.stmt.insertCall.run(fieldsToParams(fields)).lastInsertRowid);
    } catch (err) {
      if (fields.callLogId !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        const existing = this.stmt.callByLogId.get(fields.callLogId) as CallRow | undefined;
        if (existing !== undefined) throw new CallLogIdConflictError(fields.callLogId, existing.id, 'already exists');
      }
      throw err;
    }
    this.handles.set(fields.id, { pk, nextTurnSeq: 0 });
    return this.stmt.callByPk.get(pk) as CallRow;
  }

  /** Our id → row key. In memory for calls created or touched recently; else one indexed read. */
  private resolve(id: string): Handle {
    this.assertOpen();
    const cached = this.handles.get(id);
    if (cached !== undefined) return cached;
    checkCallId(id);
    const row = this.stmt.handleById.get(id) as { pk: number; next_seq: number } | undefined;
    if (row === undefined) throw new CallNotFoundError(id);
    const handle = { pk: row.pk, nextTurnSeq: row.next_seq };
    this.handles.set(id, handle);
    return handle;
  }

  private enqueue(op: Op): void {
    this.queue.push(op);
    this.scheduler.enqueued(this.queue.length);
  }

  private flushQueue(): void {
    if (this.queue.length === 0 || this.closed) return;
    this.scheduler.cancel();
    const ops = this.queue;
    this.queue = [];
    const t0 = performance.now();
    let dropped = 0;
    try {
      this.writeBatch(ops, false);
    } catch (err) {
      // One bad write must not sink the batch: retry with each write in its own savepoint, dropping
      // only those that fail. If even that fails (disk full, I/O error), keep everything for later.
      this.onError(err);
      try {
        dropped = this.writeBatch(ops, true);
      } catch (err2) {
        this.counters.failedFlushes++;
        this.queue = ops.concat(this.queue);
        this.trimQueue();
        this.onError(err2);
        this.scheduler.failed();
        return;
      }
    }
    const durationMs = performance.now() - t0;
    let events = 0;
    for (const op of ops) if (op.kind === 'event') events++;
    const c = this.counters;
    c.flushes++;
    c.flushedOps += ops.length - dropped;
    c.flushedEvents += events;
    c.droppedOps += dropped;
    c.lastFlushMs = durationMs;
    if (durationMs > c.maxFlushMs) c.maxFlushMs = durationMs;
    this.evictHandles();
    this.onFlush?.({ durationMs, ops: ops.length, events, totalEvents: c.flushedEvents });
  }

  private trimQueue(): void {
    const over = this.queue.length - this.maxPendingOps;
    if (over <= 0) return;
    this.queue.splice(0, over);
    this.counters.droppedOps += over;
    this.onError(new Error(`call store: dropped ${over} oldest pending writes (database failing)`));
  }

  /** Runs inside the batch transaction. Returns how many writes were dropped (isolate mode only). */
  private applyOps(ops: Op[], isolate: boolean): number {
    let dropped = 0;
    const run = (fn: () => void, count: number) => {
      if (!isolate) return fn();
      try {
        this.savepoint(fn);
      } catch (err) {
        dropped += count;
        this.onError(err);
      }
    };
    // Patches are merged per call after the rest: one read and at most one write per call per flush.
    const patches = new Map<number, Extract<Op, { kind: 'patch' }>[]>();
    const s = this.stmt;
    for (const op of ops) {
      switch (op.kind) {
        case 'event':
          run(() => s.insertEvent.run(op.pk, op.at, op.type, op.data, op.truncated), 1);
          break;
        case 'turn': {
          const t = op.turn;
          run(
            () =>
              s.insertTurn.run(op.pk, t.seq, t.role, t.text, t.startedAt, t.endedAt, t.interrupted ? 1 : 0, t.heardText ?? null),
            1,
          );
          break;
        }
        case 'turn-update': {
          const p = op.patch;
          run(
            () =>
              s.updateTurn.run({
                pk: op.pk,
                seq: op.seq,
                text: p.text ?? null,
                endedAt: p.endedAt ?? null,
                interrupted: p.interrupted === undefined ? null : p.interrupted ? 1 : 0,
                heardText: p.heardText ?? null,
              }),
            1,
          );
          break;
        }
        case 'patch': {
          const list = patches.get(op.pk);
          if (list === undefined) patches.set(op.pk, [op]);
          else list.push(op);
          break;
        }
      }
    }
    for (const [pk, list] of patches) run(() => this.applyPatches(pk, list), list.length);
    return dropped;
  }

  /** Merges a call's queued patches in order, each at the time update() was called. */
  private applyPatches(pk: number, ops: Extract<Op, { kind: 'patch' }>[]): void {
    const row = this.stmt.callByPk.get(pk) as CallRow | undefined;
    if (row === undefined) throw new Error(`call pk ${pk} vanished`);
    let fields = rowToFields(row);
    let changed = false;
    for (const op of ops) {
      const r = applyCallUpdate(fields, op.patch, op.at);
      fields = r.next;
      changed ||= r.changed;
      for (const conflict of r.conflicts) {
        const capped = capJson({ ...conflict }, this.maxEventDataBytes);
        this.stmt.insertEvent.run(pk, op.at, 'conflict', capped.json, capped.truncated ? 1 : 0);
      }
    }
    if (changed) this.stmt.updateCall.run({ ...fieldsToParams(fields), pk });
  }

  private readRecord(row: CallRow): CallRecord {
    const events = (this.stmt.eventsOf.all(row.pk) as { at: number; type: string; data: string; truncated: number }[]).map(
      (e) => {
        const event: CallEvent = { at: e.at, type: e.type, data: JSON.parse(e.data) as Record<string, unknown> };
        if (e.truncated) event.truncated = true;
        return event;
      },
    );
    const transcript = (this.stmt.turnsOf.all(row.pk) as TurnRow[]).map(rowToTurn);
    return { ...rowToFields(row), events, transcript };
  }

  /** After a successful flush nothing is pending, so a dropped handle can be rebuilt exactly from the DB. */
  private evictHandles(): void {
    let over = this.handles.size - this.handleCacheSize;
    if (over <= 0 || this.queue.length > 0) return;
    for (const id of this.handles.keys()) {
      if (over-- <= 0) break;
      this.handles.delete(id);
    }
  }
}

interface TurnRow {
  seq: number;
  role: 'caller' | 'agent';
  text: string;
  started_at: number;
  ended_at: number | null;
  interrupted: number;
  heard_text: string | null;
}

function rowToTurn(r: TurnRow): TranscriptTurn {
  const turn: TranscriptTurn = {
    seq: r.seq,
    role: r.role,
    text: r.text,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    interrupted: r.interrupted === 1,
  };
  if (r.heard_text !== null) turn.heardText = r.heard_text;
  return turn;
}

function rowToFields(r: CallRow): CallFields {
  return {
    id: r.id,
    callSid: r.call_sid,
    streamSid: r.stream_sid,
    callLogId: r.call_log_id,
    direction: r.direction,
    from: r.from_number,
    to: r.to_number,
    agent: r.agent,
    customField: r.custom_field,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    answeredAt: r.answered_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    closeCode: r.close_code,
    durations: { totalMs: r.total_ms, mediaMs: r.media_ms, conversationMs: r.conversation_ms },
    recordingUrl: r.recording_url,
    exotelStatus: r.exotel_status,
    exotelLegs: r.exotel_legs === null ? null : (JSON.parse(r.exotel_legs) as Record<string, unknown>[]),
    exotelDetails: r.exotel_details === null ? null : (JSON.parse(r.exotel_details) as Record<string, unknown>),
  };
}

function fieldsToParams(f: CallFields): Omit<CallRow, 'pk'> {
  return {
    id: f.id,
    call_sid: f.callSid,
    stream_sid: f.streamSid,
    call_log_id: f.callLogId,
    direction: f.direction,
    from_number: f.from,
    to_number: f.to,
    agent: f.agent,
    custom_field: f.customField,
    status: f.status,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
    answered_at: f.answeredAt,
    started_at: f.startedAt,
    ended_at: f.endedAt,
    end_reason: f.endReason,
    close_code: f.closeCode,
    total_ms: f.durations.totalMs,
    media_ms: f.durations.mediaMs,
    conversation_ms: f.durations.conversationMs,
    recording_url: f.recordingUrl,
    exotel_status: f.exotelStatus,
    exotel_legs: f.exotelLegs === null ? null : JSON.stringify(f.exotelLegs),
    exotel_details: f.exotelDetails === null ? null : JSON.stringify(f.exotelDetails),
  };
}

function dateMs(d: Date, name: string): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new CallStoreValidationError(`invalid query.${name}: invalid date`);
  return ms;
}
