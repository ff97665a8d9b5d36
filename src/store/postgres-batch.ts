// How a batch of queued media-path writes (write-ops.ts) is written inside one Postgres transaction, in a
// handful of round trips whatever its size: the patched calls locked and read in one statement (in pk
// order, so two nodes patching the same calls cannot deadlock), events and turns inserted from arrays
// (unnest), turn updates and the patched calls rewritten from arrays.
import type { Pool, PoolClient } from 'pg';
import type { CallFields, TurnUpdate } from './call-store.js';
import { applyCallUpdate } from './call-merge.js';
import { rowToFields, type CallRow } from './call-rows.js';
import { capJson } from './json-cap.js';
import { UPDATE_CALLS, callColumnArrays, pgText } from './postgres-rows.js';
import type { BatchWriterOptions, Op } from './write-ops.js';

type EventOp = Extract<Op, { kind: 'event' }>;
type TurnOp = Extract<Op, { kind: 'turn' }>;
type TurnUpdateOp = Extract<Op, { kind: 'turn-update' }>;
type PatchOp = Extract<Op, { kind: 'patch' }>;
type EventRowIn = Pick<EventOp, 'pk' | 'at' | 'type' | 'data' | 'truncated'>;

async function insertEvents(c: PoolClient, events: EventRowIn[]): Promise<void> {
  if (events.length === 0) return;
  await c.query({
    name: 'exovoice-insert-events',
    // ORDER BY ord: the timeline's seq follows the order the writes were made in.
    text: `INSERT INTO call_events (call_pk, at, type, data, truncated)
      SELECT p, a, t, d, tr FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::json[], $5::smallint[])
        WITH ORDINALITY AS u(p, a, t, d, tr, ord) ORDER BY ord`,
    values: [events.map((e) => e.pk), events.map((e) => e.at), events.map((e) => e.type), events.map((e) => e.data), events.map((e) => e.truncated)],
  });
}

async function insertTurns(c: PoolClient, ops: TurnOp[]): Promise<void> {
  if (ops.length === 0) return;
  const t = ops.map((o) => o.turn);
  await c.query({
    name: 'exovoice-insert-turns',
    text: `INSERT INTO call_turns (call_pk, seq, role, text, started_at, ended_at, interrupted, heard_text)
      SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::smallint[], $8::text[])`,
    values: [
      ops.map((o) => o.pk),
      t.map((x) => x.seq),
      t.map((x) => x.role),
      t.map((x) => pgText(x.text)),
      t.map((x) => x.startedAt),
      t.map((x) => x.endedAt),
      t.map((x) => (x.interrupted ? 1 : 0)),
      t.map((x) => pgText(x.heardText ?? null)),
    ],
  });
}

/** Several updates of one turn merge into one (each sets only the fields it names), so one statement applies them all. */
async function updateTurns(c: PoolClient, ops: TurnUpdateOp[]): Promise<void> {
  if (ops.length === 0) return;
  const merged = new Map<string, { pk: number; seq: number; patch: TurnUpdate }>();
  for (const op of ops) {
    const key = `${op.pk}:${op.seq}`;
    const m = merged.get(key);
    if (m === undefined) merged.set(key, { pk: op.pk, seq: op.seq, patch: { ...op.patch } });
    else Object.assign(m.patch, op.patch);
  }
  const u = [...merged.values()];
  await c.query({
    name: 'exovoice-update-turns',
    text: `UPDATE call_turns t SET text = coalesce(u.text, t.text), ended_at = coalesce(u.ended_at, t.ended_at),
        interrupted = coalesce(u.interrupted, t.interrupted), heard_text = coalesce(u.heard_text, t.heard_text)
      FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::smallint[], $6::text[])
        AS u(pk, seq, text, ended_at, interrupted, heard_text)
      WHERE t.call_pk = u.pk AND t.seq = u.seq`,
    values: [
      u.map((x) => x.pk),
      u.map((x) => x.seq),
      u.map((x) => pgText(x.patch.text ?? null)),
      u.map((x) => x.patch.endedAt ?? null),
      u.map((x) => (x.patch.interrupted === undefined ? null : x.patch.interrupted ? 1 : 0)),
      u.map((x) => pgText(x.patch.heardText ?? null)),
    ],
  });
}

/** Merges each call's patches into its locked row and writes it back; returns the conflict events to record. */
async function patchCalls(c: PoolClient, patches: Map<number, PatchOp[]>, maxEventDataBytes: number): Promise<EventRowIn[]> {
  if (patches.size === 0) return [];
  const res = await c.query<CallRow>({
    name: 'exovoice-lock-calls',
    // NO KEY UPDATE: does not block the event and turn inserts (their foreign keys take KEY SHARE locks).
    text: 'SELECT * FROM calls WHERE pk = ANY($1::bigint[]) ORDER BY pk FOR NO KEY UPDATE',
    values: [[...patches.keys()]],
  });
  const rows = new Map(res.rows.map((r) => [r.pk, r]));
  const conflicts: EventRowIn[] = [];
  const changed: { pk: number; fields: CallFields }[] = [];
  for (const [pk, ops] of patches) {
    const row = rows.get(pk);
    if (row === undefined) throw new Error(`call pk ${pk} vanished`);
    let fields = rowToFields(row);
    let didChange = false;
    for (const op of ops) {
      const r = applyCallUpdate(fields, op.patch, op.at);
      fields = r.next;
      didChange ||= r.changed;
      for (const conflict of r.conflicts) {
        const capped = capJson({ ...conflict }, maxEventDataBytes);
        conflicts.push({ pk, at: op.at, type: 'conflict', data: capped.json, truncated: capped.truncated ? 1 : 0 });
      }
    }
    if (didChange) changed.push({ pk, fields });
  }
  if (changed.length > 0) await c.query({ name: 'exovoice-update-calls', text: UPDATE_CALLS, values: callColumnArrays(changed) });
  return conflicts;
}

/** The batch by kind; patches grouped per call (one read and at most one write per call per flush). */
function partition(ops: Op[]) {
  const events: EventOp[] = [];
  const turns: TurnOp[] = [];
  const turnUpdates: TurnUpdateOp[] = [];
  const patches = new Map<number, PatchOp[]>();
  for (const op of ops) {
    if (op.kind === 'event') events.push(op);
    else if (op.kind === 'turn') turns.push(op);
    else if (op.kind === 'turn-update') turnUpdates.push(op);
    else {
      const list = patches.get(op.pk);
      if (list === undefined) patches.set(op.pk, [op]);
      else list.push(op);
    }
  }
  return { events, turns, turnUpdates, patches };
}

/**
 * Returns write(ops, isolate): writes a batch in one transaction, and returns how many ops were dropped.
 * With isolate, each write runs in its own savepoint and a refused one is dropped alone; a fault still
 * throws, rolling the whole batch back so that it can be retried. A connection that failed is destroyed.
 */
export function pgBatchWriter(pool: Pool, options: BatchWriterOptions): (ops: Op[], isolate: boolean) => Promise<number> {
  const all = async (c: PoolClient, ops: Op[]): Promise<number> => {
    const p = partition(ops);
    // Conflicts go to the timeline after the batch's own events, as in the SQLite store.
    const conflicts = await patchCalls(c, p.patches, options.maxEventDataBytes);
    await insertEvents(c, [...p.events, ...conflicts]);
    await insertTurns(c, p.turns);
    await updateTurns(c, p.turnUpdates);
    return 0;
  };

  const isolated = async (c: PoolClient, ops: Op[]): Promise<number> => {
    let dropped = 0;
    const run = async (fn: () => Promise<unknown>, count: number) => {
      await c.query('SAVEPOINT w');
      try {
        await fn();
        await c.query('RELEASE SAVEPOINT w');
      } catch (err) {
        if (options.isFault(err)) throw err;
        await c.query('ROLLBACK TO SAVEPOINT w');
        dropped += count;
        options.onRefused(err);
      }
    };
    const p = partition(ops);
    for (const op of p.events) await run(() => insertEvents(c, [op]), 1);
    for (const op of p.turns) await run(() => insertTurns(c, [op]), 1);
    for (const op of p.turnUpdates) await run(() => updateTurns(c, [op]), 1);
    for (const [pk, list] of p.patches) {
      await run(async () => insertEvents(c, await patchCalls(c, new Map([[pk, list]]), options.maxEventDataBytes)), list.length);
    }
    return dropped;
  };

  return async (ops, isolate) => {
    const c = await pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const dropped = await (isolate ? isolated(c, ops) : all(c, ops));
      await c.query('COMMIT');
      return dropped;
    } catch (err) {
      if (options.isFault(err)) broken = err as Error;
      else await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      c.release(broken);
    }
  };
}
