// The media-path writes a store queues (write-queue.ts) until a flush writes them in one transaction:
// their shape, estimated size and drop rank, and what a store's batch writer is told.
import type { CallUpdate, TranscriptTurn, TurnUpdate } from './call-store.js';

export type Op =
  | { kind: 'event'; pk: number; at: number; type: string; data: string; truncated: 0 | 1 }
  | { kind: 'turn'; pk: number; turn: TranscriptTurn }
  | { kind: 'turn-update'; pk: number; seq: number; patch: TurnUpdate }
  | { kind: 'patch'; pk: number; at: number; patch: CallUpdate };

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
