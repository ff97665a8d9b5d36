// How a batch of queued media-path writes (write-ops.ts) is written inside one SQLite transaction.
import type { Database as Db } from 'better-sqlite3';
import { applyCallUpdate } from './call-merge.js';
import { fieldsToParams, rowToFields, type CallRow } from './call-rows.js';
import { capJson } from './json-cap.js';
import type { Statements } from './sqlite-queries.js';
import type { BatchWriterOptions, Op } from './write-ops.js';

type PatchOp = Extract<Op, { kind: 'patch' }>;

/**
 * Returns write(ops, isolate): writes a batch in one transaction, and returns how many ops were dropped.
 * With isolate, each write runs in its own savepoint and a refused one is dropped alone; a fault still
 * throws, rolling the whole batch back so that it can be retried.
 */
export function batchWriter(db: Db, s: Statements, options: BatchWriterOptions): (ops: Op[], isolate: boolean) => number {
  const savepoint = db.transaction((fn: () => void) => fn());

  const applyPatches = (pk: number, ops: PatchOp[]): void => {
    const row = s.callByPk.get(pk) as CallRow | undefined;
    if (row === undefined) throw new Error(`call pk ${pk} vanished`);
    let fields = rowToFields(row);
    let changed = false;
    for (const op of ops) {
      const r = applyCallUpdate(fields, op.patch, op.at);
      fields = r.next;
      changed ||= r.changed;
      for (const conflict of r.conflicts) {
        const capped = capJson({ ...conflict }, options.maxEventDataBytes);
        s.insertEvent.run(pk, op.at, 'conflict', capped.json, capped.truncated ? 1 : 0);
      }
    }
    if (changed) s.updateCall.run({ ...fieldsToParams(fields), pk });
  };

  const apply = (ops: Op[], isolate: boolean): number => {
    let dropped = 0;
    const run = (fn: () => void, count: number) => {
      if (!isolate) return fn();
      try {
        savepoint(fn);
      } catch (err) {
        if (options.isFault(err)) throw err;
        dropped += count;
        options.onRefused(err);
      }
    };
    // Patches are merged per call after the rest: one read and at most one write per call per flush.
    const patches = new Map<number, PatchOp[]>();
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
    for (const [pk, list] of patches) run(() => applyPatches(pk, list), list.length);
    return dropped;
  };

  return db.transaction(apply);
}
