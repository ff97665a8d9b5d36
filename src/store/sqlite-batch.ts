// The queued media-path writes (ops), their estimated size and drop rank, and how a batch of them is
// written inside one transaction.
import type { Database as Db } from 'better-sqlite3';
import type { CallUpdate, TranscriptTurn, TurnUpdate } from './call-store.js';
import { applyCallUpdate } from './call-merge.js';
import { capJson } from './json-cap.js';
import type { Statements } from './sqlite-queries.js';
import { fieldsToParams, rowToFields, type CallRow } from './sqlite-rows.js';

export type Op =
  | { kind: 'event'; pk: number; at: number; type: string; data: string; truncated: 0 | 1 }
  | { kind: 'turn'; pk: number; turn: TranscriptTurn }
  | { kind: 'turn-update'; pk: number; seq: number; patch: TurnUpdate }
  | { kind: 'patch'; pk: number; at: number; patch: CallUpdate };

type PatchOp = Extract<Op, { kind: 'patch' }>;

const OP_OVERHEAD_BYTES = 96;

/** Rough memory an op holds while queued (strings count 2 bytes a character). */
export function opBytes(op: Op): number {
  switch (op.kind) {
    case 'event':
      return OP_OVERHEAD_BYTES + 2 * (op.type.length + op.data.length);
    case 'turn':
      return OP_OVERHEAD_BYTES + 2 * (op.turn.text.length + (op.turn.heardText?.length ?? 0));
    case 'turn-update':
      return OP_OVERHEAD_BYTES + 2 * ((op.patch.text?.length ?? 0) + (op.patch.heardText?.length ?? 0));
    case 'patch':
      return OP_OVERHEAD_BYTES + 2 * JSON.stringify(op.patch).length;
  }
}

/**
 * Which ops go first when the queue must shed writes: timeline events (0), then transcript turns (1),
 * then call-field patches (2), which carry a call's final status, end time and reason.
 */
export function opRank(op: Op): 0 | 1 | 2 {
  return op.kind === 'event' ? 0 : op.kind === 'patch' ? 2 : 1;
}

export interface BatchWriterOptions {
  maxEventDataBytes: number;
  /** True for errors that mean the database refuses all writes: the batch is abandoned, not split. */
  isFault: (err: unknown) => boolean;
  /** One write refused (isolate mode): it is dropped. */
  onRefused: (err: unknown) => void;
}

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
