// What the stores with a write-behind queue share: the media-path writes (validate, turn into an op on the
// call's handle, queue it and return), and stats() and health() read off the queue. The subclass brings the
// queue (WriteQueue or AsyncWriteQueue) and how an id resolves to its handle.
import type { CallStoreStats, CallUpdate, NewCallEvent, NewTurn, StoreHealth, TranscriptTurn, TurnUpdate } from './call-store.js';
import { checkEvent, checkTurnSeq, parseCallUpdate, parseNewTurn, parseTurnUpdate } from './call-validation.js';
import type { Handle } from './call-handles.js';
import { CallStoreValidationError } from './errors.js';
import { capJson } from './json-cap.js';
import type { StoreHealthTracker } from './store-health.js';
import type { Op } from './write-ops.js';
import type { WriteQueueCounters } from './write-queue.js';

interface Queue {
  push(op: Op): void;
  readonly pendingOps: number;
  readonly pendingBytes: number;
  readonly counters: WriteQueueCounters;
}

export abstract class QueuedCallStore {
  protected abstract readonly queue: Queue;
  protected abstract readonly health_: StoreHealthTracker;
  /** The call's handle; throws CallStoreClosedError / CallNotFoundError. */
  protected abstract resolve(id: string): Handle;

  constructor(
    protected readonly clock: () => number,
    protected readonly maxEventDataBytes: number,
  ) {}

  appendEvent(id: string, event: NewCallEvent): void {
    const handle = this.resolve(id);
    const at = checkEvent(event?.type, event?.at, event?.data, this.clock());
    let capped;
    try {
      capped = capJson(event.data, this.maxEventDataBytes);
    } catch (err) {
      throw new CallStoreValidationError(`invalid event.data: not serializable as JSON (${(err as Error).message})`);
    }
    this.queue.push({
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
    this.queue.push({ kind: 'turn', pk: handle.pk, turn: stored });
    return seq;
  }

  updateTurn(id: string, seq: number, patch: TurnUpdate): void {
    const handle = this.resolve(id);
    checkTurnSeq(seq);
    if (seq >= handle.nextTurnSeq) throw new CallStoreValidationError(`invalid turn seq: call ${id} has no turn ${seq}`);
    this.queue.push({ kind: 'turn-update', pk: handle.pk, seq, patch: parseTurnUpdate(patch) });
  }

  update(id: string, patch: CallUpdate): void {
    const handle = this.resolve(id);
    this.queue.push({ kind: 'patch', pk: handle.pk, at: this.clock(), patch: parseCallUpdate(patch) });
  }

  attachCallSid(id: string, callSid: string, streamSid?: string): void {
    this.update(id, streamSid === undefined ? { callSid } : { callSid, streamSid });
  }

  stats(): CallStoreStats {
    return {
      pendingOps: this.queue.pendingOps,
      pendingBytes: this.queue.pendingBytes,
      ...this.queue.counters,
      writeFailures: { ...this.health_.failures },
    };
  }

  health(): StoreHealth {
    return this.health_.health(this.queue.pendingOps, this.queue.counters.droppedOps);
  }
}
