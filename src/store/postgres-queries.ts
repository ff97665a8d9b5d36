// The Postgres store's statements outside the write batches: inserting a call, and the reads (one record,
// a page of calls, the live calls' handles). Hot statements are named, so each connection prepares them once.
import type { Pool, PoolClient } from 'pg';
import type { CallEvent, CallRecord, CallSummary, ListPage, ListQuery } from './call-store.js';
import { CALL_COLUMN_NAMES, CALL_COLUMNS, rowToFields, rowToTurn, type CallRow, type EventRow, type TurnRow } from './call-rows.js';
import { CALL_STATUSES, isTerminalStatus } from './call-status.js';
import { DEFAULT_LIST_LIMIT } from './call-validation.js';
import { dateMs, decodeCursor, encodeCursor } from './list-cursor.js';
import { placeholders } from './postgres-rows.js';

export type Queryable = Pool | PoolClient;

/** A row's key and the seq its next transcript turn gets: what a store needs to take writes for the call. */
export interface SeenCall {
  id: string;
  pk: number;
  nextTurnSeq: number;
}

const INSERT_CALL = `INSERT INTO calls (${CALL_COLUMNS}) VALUES (${placeholders(CALL_COLUMN_NAMES.length)})`;
const NEXT_SEQ = '(SELECT coalesce(max(t.seq) + 1, 0) FROM call_turns t WHERE t.call_pk = c.pk)';
const LIVE_STATUSES = CALL_STATUSES.filter((s) => !isTerminalStatus(s));

/** Inserts a call; with `onCallLogIdConflict: 'skip'`, a taken callLogId inserts nothing and returns null. */
export async function insertCall(q: Queryable, values: unknown[], onConflict: 'throw' | 'skip'): Promise<CallRow | null> {
  const res =
    onConflict === 'skip'
      ? await q.query<CallRow>({ name: 'exovoice-insert-call-or-skip', text: `${INSERT_CALL} ON CONFLICT (call_log_id) DO NOTHING RETURNING *`, values })
      : await q.query<CallRow>({ name: 'exovoice-insert-call', text: `${INSERT_CALL} RETURNING *`, values });
  return res.rows[0] ?? null;
}

export async function callByLogId(q: Queryable, callLogId: string): Promise<CallRow | undefined> {
  const res = await q.query<CallRow>({ name: 'exovoice-call-by-log-id', text: 'SELECT * FROM calls WHERE call_log_id = $1', values: [callLogId] });
  return res.rows[0];
}

/** By our id, else Exotel's CallSid (newest), else callLogId: one round trip. */
export async function findCallRow(q: Queryable, key: string): Promise<CallRow | undefined> {
  const res = await q.query<CallRow & { k: number }>({
    name: 'exovoice-find-call',
    text: `(SELECT 1 AS k, * FROM calls WHERE id = $1)
      UNION ALL (SELECT 2, * FROM calls WHERE call_sid = $1 ORDER BY created_at DESC, id DESC LIMIT 1)
      UNION ALL (SELECT 3, * FROM calls WHERE call_log_id = $1)
      ORDER BY k LIMIT 1`,
    values: [key],
  });
  const row = res.rows[0];
  if (row === undefined) return undefined;
  const { k: _k, ...call } = row;
  return call;
}

/** A call's row with its timeline and transcript. */
export async function readRecord(q: Pool, row: CallRow): Promise<CallRecord> {
  const [events, turns] = await Promise.all([
    q.query<EventRow>({ name: 'exovoice-events-of', text: 'SELECT at, type, data, truncated FROM call_events WHERE call_pk = $1 ORDER BY seq', values: [row.pk] }),
    q.query<TurnRow>({ name: 'exovoice-turns-of', text: 'SELECT * FROM call_turns WHERE call_pk = $1 ORDER BY seq', values: [row.pk] }),
  ]);
  return {
    ...rowToFields(row),
    events: events.rows.map((e) => {
      const event: CallEvent = { at: e.at, type: e.type, data: JSON.parse(e.data) as Record<string, unknown> };
      if (e.truncated) event.truncated = true;
      return event;
    }),
    transcript: turns.rows.map(rowToTurn),
  };
}

/** One page of calls, newest first, and what each needs to take writes. `q` is already validated (parseListQuery). */
export async function listCalls(pool: Pool, q: ListQuery): Promise<{ page: ListPage; seen: SeenCall[] }> {
  const limit = q.limit ?? DEFAULT_LIST_LIMIT;
  const where: string[] = [];
  const params: (string | number)[] = [];
  const param = (v: string | number) => `$${params.push(v)}`;
  if (q.status !== undefined) where.push(`c.status = ${param(q.status)}`);
  if (q.direction !== undefined) where.push(`c.direction = ${param(q.direction)}`);
  if (q.agent !== undefined) where.push(`c.agent = ${param(q.agent)}`);
  if (q.number !== undefined) {
    const n = param(q.number);
    where.push(`(c.from_number = ${n} OR c.to_number = ${n})`);
  }
  if (q.from !== undefined) where.push(`c.created_at >= ${param(dateMs(q.from, 'from'))}`);
  if (q.to !== undefined) where.push(`c.created_at < ${param(dateMs(q.to, 'to'))}`);
  if (q.cursor !== undefined) {
    const pos = decodeCursor(q.cursor);
    where.push(`(c.created_at, c.id) < (${param(pos.createdAt)}, ${param(pos.id)})`);
  }
  const res = await pool.query<CallRow & { event_count: number; turn_count: number; next_seq: number }>(
    `SELECT c.*,
       (SELECT count(*) FROM call_events e WHERE e.call_pk = c.pk) AS event_count,
       (SELECT count(*) FROM call_turns t WHERE t.call_pk = c.pk) AS turn_count,
       ${NEXT_SEQ} AS next_seq
     FROM calls c ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.created_at DESC, c.id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
  const rows = res.rows.slice(0, limit);
  const items: CallSummary[] = rows.map((r) => ({ ...rowToFields(r), eventCount: r.event_count, turnCount: r.turn_count }));
  const last = items[items.length - 1];
  return {
    page: { items, nextCursor: res.rows.length > limit ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null },
    seen: rows.map((r) => ({ id: r.id, pk: r.pk, nextTurnSeq: r.next_seq })),
  };
}

/** The calls not yet over (newest first, at most `limit`): a node that (re)starts takes their writes at once. */
export async function liveCalls(pool: Pool, limit: number): Promise<SeenCall[]> {
  const res = await pool.query<{ id: string; pk: number; next_seq: number }>(
    `SELECT c.id, c.pk, ${NEXT_SEQ} AS next_seq FROM calls c WHERE c.status = ANY($1::text[]) ORDER BY c.created_at DESC LIMIT $2`,
    [LIVE_STATUSES, limit],
  );
  return res.rows.map((r) => ({ id: r.id, pk: r.pk, nextTurnSeq: r.next_seq }));
}
