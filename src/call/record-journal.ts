import type { Logger } from 'pino';
import type { EndReason as SessionEndReason, TranscriptTurnInput } from '../conversation/call-contract.js';
import type { CallStore, EndReason, NewCall } from '../store/call-store.js';
import type { CallDetails } from './call-details.js';
import type { CallJournal } from './session.js';

type PendingOp = (id: string) => void;

interface Binding {
  id?: string;
  pending: PendingOp[];
  nextSeq: number;
  direction?: 'inbound' | 'outbound';
  /** The record could not be found or created: the call's writes are dropped. */
  failed?: boolean;
  ended?: boolean;
}

const END_REASONS: Record<SessionEndReason, EndReason> = {
  'caller-hangup': 'caller-hangup',
  'stream-stopped': 'caller-hangup',
  'bot-hangup': 'bot-hangup',
  transfer: 'transfer',
  'max-duration': 'max-duration',
  'socket-closed': 'socket-closed',
  shutdown: 'socket-closed',
  timeout: 'timeout',
  'socket-error': 'error',
  replaced: 'error',
  flood: 'error',
  'agent-error': 'error',
  'protocol-error': 'error',
};

/** Ids we generated ourselves are not Exotel CallSids. */
const isGeneratedId = (callId: string) => /^(anon|gen)-/.test(callId);

/**
 * Writes what happens on calls into the durable call records. Sessions know a call by its call id (Exotel's
 * CallSid, or our record id for calls we streamed ourselves); the first write looks the record up, or creates it,
 * and holds the call's writes until then, so the media path never waits. Store errors are logged, never thrown.
 */
export class RecordJournal implements CallJournal {
  private readonly bindings = new Map<string, Binding>();
  /** Lookups in flight or done, so the webhook and the socket of one call never create two records. */
  private readonly resolved = new Map<string, Promise<string>>();

  constructor(
    private readonly store: CallStore,
    private readonly log: Logger,
  ) {}

  /** The webhook saw the call: find the record we created when dialling it (CustomField), or start an inbound one. */
  async webhook(details: CallDetails): Promise<void> {
    try {
      const id = await this.resolve(details.callId, details);
      this.store.appendEvent(id, { type: 'webhook', at: details.receivedAt, data: { params: details.params } });
    } catch (err) {
      this.log.error({ err, callId: details.callId }, 'could not record webhook');
    }
  }

  event(callId: string, type: string, data: Record<string, unknown> = {}): void {
    const at = Date.now();
    this.enqueue(callId, (id) => {
      this.store.appendEvent(id, { type, at, data });
      this.applyToFields(callId, id, type, at, data);
    });
    if (type === 'end') {
      const binding = this.bindings.get(callId);
      if (binding) binding.ended = true;
      if (binding?.failed) {
        this.bindings.delete(callId);
        return;
      }
      this.whenBound(callId, () => {
        this.bindings.delete(callId);
        this.resolved.delete(callId);
      });
    }
  }

  addTurn(callId: string, turn: TranscriptTurnInput): number {
    const binding = this.bind(callId);
    const seq = binding.nextSeq++;
    this.enqueue(callId, (id) => {
      this.store.addTurn(id, turn);
    });
    return seq;
  }

  updateTurn(callId: string, seq: number, patch: Partial<Omit<TranscriptTurnInput, 'role' | 'startedAt'>>): void {
    this.enqueue(callId, (id) => this.store.updateTurn(id, seq, patch));
  }

  /** Record fields that follow from timeline events. */
  private applyToFields(callId: string, id: string, type: string, at: number, data: Record<string, unknown>): void {
    const binding = this.bindings.get(callId);
    if (type === 'start') {
      const exotelCallSid = typeof data.exotelCallSid === 'string' ? data.exotelCallSid : undefined;
      this.store.update(id, {
        status: 'in-progress',
        startedAt: at,
        ...(binding?.direction === 'inbound' ? { answeredAt: at } : {}),
        ...(typeof data.agent === 'string' ? { agent: data.agent } : {}),
        ...(typeof data.streamSid === 'string' ? { streamSid: data.streamSid } : {}),
        ...(exotelCallSid && exotelCallSid !== callId ? { callSid: exotelCallSid } : {}),
      });
    } else if (type === 'agent-switch' && typeof data.to === 'string') {
      this.store.update(id, { agent: data.to });
    } else if (type === 'end') {
      const reason = END_REASONS[data.reason as SessionEndReason] ?? 'error';
      this.store.update(id, {
        endedAt: at,
        endReason: reason,
        ...(typeof data.closeCode === 'number' ? { closeCode: data.closeCode } : {}),
        // Exotel's status callback settles an outbound call; an inbound call is over when its stream is.
        ...(binding?.direction === 'inbound' ? { status: 'completed' as const } : {}),
      });
    }
  }

  private bind(callId: string): Binding {
    let binding = this.bindings.get(callId);
    if (!binding) {
      binding = { pending: [], nextSeq: 0 };
      this.bindings.set(callId, binding);
      const b = binding;
      this.resolve(callId).then(
        async (id) => {
          // Without the record's current state (the database failing reads) the call's writes still go on.
          const record = await this.store.get(id).catch((err: unknown) => {
            this.log.warn({ err, callId }, 'could not read the call record');
            return null;
          });
          b.direction = record?.direction;
          b.nextSeq = Math.max(b.nextSeq, record?.transcript.length ?? 0);
          b.id = id;
          for (const op of b.pending.splice(0)) this.run(callId, op, id);
        },
        (err) => {
          // Kept, marked failed, until the call ends: retrying the lookup on every event would make each
          // event of the call pay for a database that refuses writes.
          this.log.error({ err, callId }, 'no call record: dropping its journal');
          b.failed = true;
          b.pending.length = 0;
          if (b.ended) this.bindings.delete(callId);
        },
      );
    }
    return binding;
  }

  private enqueue(callId: string, op: PendingOp): void {
    const binding = this.bind(callId);
    if (binding.failed) return;
    if (binding.id) this.run(callId, op, binding.id);
    else if (binding.pending.length < 10_000) binding.pending.push(op);
  }

  private whenBound(callId: string, fn: () => void): void {
    this.enqueue(callId, () => fn());
  }

  private run(callId: string, op: PendingOp, id: string): void {
    try {
      op(id);
    } catch (err) {
      this.log.warn({ err, callId }, 'call record write refused');
    }
  }

  private resolve(callId: string, details?: CallDetails): Promise<string> {
    let p = this.resolved.get(callId);
    if (!p) {
      p = this.findOrCreate(callId, details);
      this.resolved.set(callId, p);
      p.catch(() => this.resolved.delete(callId));
      // Calls whose socket never came leave an entry; keep the map bounded (oldest first).
      if (this.resolved.size > 50_000) this.resolved.delete(this.resolved.keys().next().value!);
    }
    return p;
  }

  private async findOrCreate(callId: string, details?: CallDetails): Promise<string> {
    // Outbound calls we dialled carry our record id in CustomField, and may stream with it as call id.
    for (const key of [details?.customField, callId]) {
      if (!key) continue;
      const record = await this.store.get(key);
      if (record) {
        if (!isGeneratedId(callId) && record.callSid === null && record.id !== callId) {
          this.store.attachCallSid(record.id, callId);
          // Written before the webhook answers: the stream may open on another node, which finds the call by CallSid.
          await this.store.flush().catch((err: unknown) => this.log.warn({ err, callId }, 'could not write the call\'s CallSid yet'));
        }
        return record.id;
      }
    }
    const input: NewCall = {
      direction: 'inbound',
      status: 'ringing',
      ...(isGeneratedId(callId) ? {} : { callSid: callId }),
      ...(details?.from ? { from: details.from } : {}),
      ...(details?.to ? { to: details.to } : {}),
      ...(details?.agent ? { agent: details.agent } : {}),
      ...(details?.customField ? { customField: details.customField } : {}),
    };
    return this.store.create(input);
  }
}
