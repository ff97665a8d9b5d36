// The media-path writes every store takes the same way: validate, turn into an op (write-ops.ts) on the
// call's handle, queue it and return. Only the queue behind `push` differs between the stores.
import type { CallUpdate, NewCallEvent, NewTurn, TranscriptTurn, TurnUpdate } from './call-store.js';
import { checkEvent, checkTurnSeq, parseCallUpdate, parseNewTurn, parseTurnUpdate } from './call-validation.js';
import type { Handle } from './call-handles.js';
import { CallStoreValidationError } from './errors.js';
import { capJson } from './json-cap.js';
import type { Op } from './write-ops.js';

export interface MediaWritesDeps {
  /** The call's handle; throws CallStoreClosedError / CallNotFoundError. */
  resolve: (id: string) => Handle;
  push: (op: Op) => void;
  clock: () => number;
  maxEventDataBytes: number;
}

export class MediaWrites {
  constructor(private readonly d: MediaWritesDeps) {}

  appendEvent(id: string, event: NewCallEvent): void {
    const handle = this.d.resolve(id);
    const at = checkEvent(event?.type, event?.at, event?.data, this.d.clock());
    let capped;
    try {
      capped = capJson(event.data, this.d.maxEventDataBytes);
    } catch (err) {
      throw new CallStoreValidationError(`invalid event.data: not serializable as JSON (${(err as Error).message})`);
    }
    this.d.push({
      kind: 'event',
      pk: handle.pk,
      at,
      type: event.type,
      data: capped.json,
      truncated: capped.truncated ? 1 : 0,
    });
  }

  addTurn(id: string, turn: NewTurn): number {
    const handle = this.d.resolve(id);
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
    this.d.push({ kind: 'turn', pk: handle.pk, turn: stored });
    return seq;
  }

  updateTurn(id: string, seq: number, patch: TurnUpdate): void {
    const handle = this.d.resolve(id);
    checkTurnSeq(seq);
    if (seq >= handle.nextTurnSeq) throw new CallStoreValidationError(`invalid turn seq: call ${id} has no turn ${seq}`);
    this.d.push({ kind: 'turn-update', pk: handle.pk, seq, patch: parseTurnUpdate(patch) });
  }

  update(id: string, patch: CallUpdate): void {
    const handle = this.d.resolve(id);
    this.d.push({ kind: 'patch', pk: handle.pk, at: this.d.clock(), patch: parseCallUpdate(patch) });
  }

  attachCallSid(id: string, callSid: string, streamSid?: string): void {
    this.update(id, streamSid === undefined ? { callSid } : { callSid, streamSid });
  }
}
