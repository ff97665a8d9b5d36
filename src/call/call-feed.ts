// What the console watches live: changes to the set of live calls, each live call's transcript turns as they
// arrive, and its `turn.*` timeline events. The feed sits in front of the call journal: the media path pays a
// function call per turn or event, and the feed keeps each live call's turns for a watcher who arrives mid-call.
import type { TranscriptTurnInput } from '../conversation/call-contract.js';
import type { CallJournal } from './session-types.js';

/** A transcript turn as it stands now (every update sends the whole turn again). */
export interface FeedTurn extends TranscriptTurnInput {
  seq: number;
}

export type FeedEvent =
  /** A call came, went or changed state: read the registry again. */
  | { kind: 'sessions' }
  | { kind: 'turn'; callId: string; turn: FeedTurn }
  /** A `turn.*` timeline event (latency stages), or `end`. */
  | { kind: 'event'; callId: string; type: string; at: number; data: Record<string, unknown> };

export type FeedListener = (event: FeedEvent) => void;

/** Turns kept per live call for a watcher that arrives mid-call; older ones are in the call record. */
const MAX_TURNS_KEPT = 200;
/** Calls whose turns are kept: a turn written after its call's `end` would otherwise stay for good. */
const MAX_CALLS_KEPT = 10_000;
/** Timeline events that change what the live list shows. */
const SESSION_EVENTS = new Set(['start', 'end']);

export class CallFeed {
  readonly #listeners = new Set<FeedListener>();
  /** Live calls' turns by seq, dropped when the call ends. */
  readonly #turns = new Map<string, Map<number, FeedTurn>>();

  /** Returns the unsubscribe function. */
  subscribe(listener: FeedListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get watchers(): number {
    return this.#listeners.size;
  }

  /** The turns of a live call so far, in order. */
  turnsOf(callId: string): FeedTurn[] {
    return [...(this.#turns.get(callId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  sessionsChanged(): void {
    this.#publish({ kind: 'sessions' });
  }

  /** A journal that tells the feed, then `inner` (the call records), what happens on calls. */
  journal(inner?: CallJournal): CallJournal {
    const feed = this;
    return {
      ...(inner?.webhook ? { webhook: inner.webhook.bind(inner) } : {}),
      event(callId, type, data = {}) {
        inner?.event(callId, type, data);
        if (type.startsWith('turn.') || type === 'end') feed.#publish({ kind: 'event', callId, type, at: Date.now(), data });
        if (type === 'end') feed.#turns.delete(callId);
        if (SESSION_EVENTS.has(type)) feed.sessionsChanged();
      },
      addTurn(callId, turn) {
        const turns = feed.#turnsFor(callId);
        const seq = inner ? inner.addTurn(callId, turn) : turns.size;
        feed.#keep(callId, turns, { ...turn, seq });
        return seq;
      },
      updateTurn(callId, seq, patch) {
        inner?.updateTurn(callId, seq, patch);
        const turns = feed.#turns.get(callId);
        const turn = turns?.get(seq);
        if (turns && turn) feed.#keep(callId, turns, { ...turn, ...patch });
      },
    };
  }

  #turnsFor(callId: string): Map<number, FeedTurn> {
    let turns = this.#turns.get(callId);
    if (!turns) {
      this.#turns.set(callId, (turns = new Map()));
      if (this.#turns.size > MAX_CALLS_KEPT) this.#turns.delete(this.#turns.keys().next().value!);
    }
    return turns;
  }

  #keep(callId: string, turns: Map<number, FeedTurn>, turn: FeedTurn): void {
    turns.set(turn.seq, turn);
    if (turns.size > MAX_TURNS_KEPT) turns.delete(turns.keys().next().value!);
    this.#publish({ kind: 'turn', callId, turn });
  }

  #publish(event: FeedEvent): void {
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) {
      // A watcher's failure is its own: the call goes on (the journal contract: never throw).
      try {
        listener(event);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  }
}
