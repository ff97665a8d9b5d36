import type { TranscriptTurnInput } from '../../src/conversation/call-contract.js';
import type { CallJournal } from '../../src/call/session.js';

export interface JournalEvent {
  type: string;
  data: Record<string, unknown>;
  /** performance.now() when recorded. */
  at: number;
}

/** Keeps every call's timeline and transcript in memory, as the durable journal would receive them. */
export class MemoryJournal implements CallJournal {
  readonly events = new Map<string, JournalEvent[]>();
  readonly turns = new Map<string, (TranscriptTurnInput & { updates: number })[]>();

  event(callId: string, type: string, data: Record<string, unknown> = {}): void {
    let list = this.events.get(callId);
    if (!list) this.events.set(callId, (list = []));
    list.push({ type, data, at: performance.now() });
  }

  addTurn(callId: string, turn: TranscriptTurnInput): number {
    let list = this.turns.get(callId);
    if (!list) this.turns.set(callId, (list = []));
    list.push({ ...turn, updates: 0 });
    return list.length - 1;
  }

  updateTurn(callId: string, seq: number, patch: Partial<Omit<TranscriptTurnInput, 'role' | 'startedAt'>>): void {
    const turn = this.turns.get(callId)?.[seq];
    if (!turn) throw new Error(`updateTurn: no turn ${seq} on ${callId}`);
    Object.assign(turn, patch);
    turn.updates++;
  }

  eventsOf(callId: string, type: string): JournalEvent[] {
    return (this.events.get(callId) ?? []).filter((e) => e.type === type);
  }

  /** Waits until the call has an agent turn (at index `from` or later) whose text passes `test`; its index. */
  async agentTurn(callId: string, test: (text: string) => boolean, from = 0, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const turns = this.turns.get(callId) ?? [];
      const i = turns.findIndex((t, k) => k >= from && t.role === 'agent' && test(t.text));
      if (i >= 0) return i;
      if (Date.now() > deadline) throw new Error(`no such agent turn on ${callId}; transcript: ${JSON.stringify(turns.map((t) => [t.role, t.text]))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
