// The prepared statements of the SQLite store, and its reads: one record (get), a page of calls (list).
import type { Database as Db, Statement } from 'better-sqlite3';
import type { CallEvent, CallRecord, CallSummary, ListPage, ListQuery } from './call-store.js';
import { DEFAULT_LIST_LIMIT } from './call-validation.js';
import { dateMs, decodeCursor, encodeCursor } from './list-cursor.js';
import { CALL_COLUMN_NAMES, CALL_COLUMNS, rowToFields, rowToTurn, type CallRow, type EventRow, type TurnRow } from './call-rows.js';

export interface Statements {
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
}

const CALL_PARAMS = CALL_COLUMN_NAMES.map((c) => `@${c}`).join(', ');

export function prepareStatements(db: Db): Statements {
  return {
    insertCall: db.prepare(`INSERT INTO calls (${CALL_COLUMNS}) VALUES (${CALL_PARAMS})`),
    updateCall: db.prepare(`UPDATE calls SET (${CALL_COLUMNS}) = (${CALL_PARAMS}) WHERE pk = @pk`),
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
}

/** By our id, else Exotel's CallSid (newest), else callLogId. */
export function findCallRow(s: Statements, key: string): CallRow | undefined {
  return (s.callById.get(key) ?? s.callBySid.get(key) ?? s.callByLogId.get(key)) as CallRow | undefined;
}

/** A call's row with its timeline and transcript. */
export function readRecord(s: Statements, row: CallRow): CallRecord {
  const events = (s.eventsOf.all(row.pk) as EventRow[]).map((e) => {
    const event: CallEvent = { at: e.at, type: e.type, data: JSON.parse(e.data) as Record<string, unknown> };
    if (e.truncated) event.truncated = true;
    return event;
  });
  const transcript = (s.turnsOf.all(row.pk) as TurnRow[]).map(rowToTurn);
  return { ...rowToFields(row), events, transcript };
}

/** One page of calls, newest first. `q` is already validated (parseListQuery). */
export function listCalls(db: Db, q: ListQuery): ListPage {
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
  if (q.agent !== undefined) {
    where.push('c.agent = ?');
    params.push(q.agent);
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
  const rows = db
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
