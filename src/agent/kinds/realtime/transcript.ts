// What was said on the call, kept twice: as the call's turns (the record) and as text the next session is given, so a
// session opened mid-call (rotation, reconnect) carries on the same conversation. Both follow what the caller heard.
import { textItem, type RealtimeProtocol } from '../../../providers/realtime/realtime-session.js';
import type { RealtimeConnection } from '../../../providers/realtime/openai-realtime.js';
import type { CallControl } from '../../../conversation/call-contract.js';

interface HistoryEntry {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

export class RealtimeTranscript {
  private readonly history: HistoryEntry[] = [];
  /** By the provider's item id. */
  private readonly historyOf = new Map<string, HistoryEntry>();
  private readonly turnOf = new Map<string, number>();

  constructor(
    private readonly call: CallControl,
    private readonly protocol: RealtimeProtocol,
    private readonly replayTurns: number,
  ) {}

  /** Entries so far (a mark for `replay`). */
  get length(): number {
    return this.history.length;
  }

  /** The caller's committed audio: a turn whose text the transcription fills in. */
  callerItem(itemId: string, startedAt: number, endedAt: number): void {
    this.turnOf.set(itemId, this.call.addTurn({ role: 'caller', text: '', startedAt, endedAt }));
    this.add(itemId, 'user');
  }

  /** The model's audio item starts playing. */
  agentItem(itemId: string): void {
    this.turnOf.set(itemId, this.call.addTurn({ role: 'agent', text: '', startedAt: Date.now() }));
    this.add(itemId, 'assistant');
  }

  /** An item's text: the caller's transcription or the model's transcript. */
  text(itemId: string, text: string): void {
    const seq = this.turnOf.get(itemId);
    if (seq !== undefined) this.call.updateTurn(seq, { text });
    const entry = this.historyOf.get(itemId);
    if (entry) entry.text = text;
  }

  /** The caller cut the model off: the record keeps both texts, the next session only what was heard. */
  interrupted(itemId: string, transcript: string, heardText: string): void {
    const seq = this.turnOf.get(itemId);
    if (seq !== undefined) this.call.updateTurn(seq, { text: transcript, interrupted: true, heardText, endedAt: Date.now() });
    const entry = this.historyOf.get(itemId);
    if (entry) entry.text = heardText;
  }

  /** The model's item played out. */
  ended(itemId: string): void {
    const seq = this.turnOf.get(itemId);
    if (seq !== undefined) this.call.updateTurn(seq, { endedAt: Date.now() });
  }

  /** A tool's result, for the next session (the current one has the function call output already). */
  toolResult(name: string, output: string): void {
    this.history.push({ role: 'system', text: `Tool ${name} returned: ${output}` });
  }

  /** The conversation from entry `from` on as text items (at most the newest `replayTurns`). */
  replay(conn: RealtimeConnection, from: number): void {
    const entries = this.history.slice(Math.max(from, this.history.length - this.replayTurns));
    for (const h of entries) if (h.text) conn.createItem(textItem(h.role, h.text, this.protocol));
  }

  private add(itemId: string, role: 'user' | 'assistant'): void {
    const entry: HistoryEntry = { role, text: '' };
    this.history.push(entry);
    this.historyOf.set(itemId, entry);
  }
}
