// Where each assistant audio item sits on the call's playout timeline, so a barge-in can tell the model how much of
// THAT item the caller heard (`conversation.item.truncate` audio_end_ms) from the playout position (mark echoes /
// CallControl.playedMs), not from the wall clock or from what the provider has sent.
//
// Positions are ms of bot audio since the call began, the same scale as CallControl.playedMs(). An item starts where
// the audio queued before it ends, or at the current position if playout had run dry; the media pacer pads the
// end of each utterance (each mark) to a whole frame, so the next item starts after that padding.

export interface LedgerItem {
  readonly itemId: string;
  readonly contentIndex: number;
  /** Playout position of its first sample; null until its audio is queued. */
  startMs: number | null;
  /** Audio handed to playout (at the call rate). */
  queuedMs: number;
  /** Audio the provider sent for it (its own timeline, what truncate is measured against). */
  providerMs: number;
  /** Its end mark was echoed: the caller heard all of it. */
  heardAll: boolean;
  /** Audio done and marked: no more will be queued. */
  closed: boolean;
  transcript: string;
}

export class PlayoutLedger {
  readonly items: LedgerItem[] = [];
  private queueEnd = 0;

  /** `frameMs`: the outgoing frame the engine pads utterances to. */
  constructor(private readonly frameMs: number) {}

  add(itemId: string, contentIndex: number): LedgerItem {
    const item: LedgerItem = { itemId, contentIndex, startMs: null, queuedMs: 0, providerMs: 0, heardAll: false, closed: false, transcript: '' };
    this.items.push(item);
    return item;
  }

  get(itemId: string): LedgerItem | undefined {
    return this.items.find((i) => i.itemId === itemId);
  }

  /** `ms` of the item's audio go to playout now, with the playout position at `playedMs`. */
  queued(item: LedgerItem, ms: number, playedMs: number): void {
    if (item.startMs === null) item.startMs = Math.max(playedMs, this.queueEnd);
    item.queuedMs += ms;
    this.queueEnd = item.startMs + item.queuedMs;
  }

  /** The item's audio ended with a mark: the engine pads it to a whole frame. */
  closed(item: LedgerItem): void {
    item.closed = true;
    if (item.startMs === null) return;
    this.queueEnd = item.startMs + Math.ceil(item.queuedMs / this.frameMs - 1e-9) * this.frameMs;
  }

  heardAll(item: LedgerItem): void {
    item.heardAll = true;
  }

  /** Ms of the item's own audio the caller has heard at playout position `playedMs`. */
  heardMs(item: LedgerItem, playedMs: number): number {
    if (item.heardAll) return item.providerMs;
    if (item.startMs === null) return 0;
    return Math.min(item.providerMs, Math.max(0, playedMs - item.startMs));
  }

  /** Items the caller has not heard to the end. */
  unfinished(): LedgerItem[] {
    return this.items.filter((i) => !i.heardAll);
  }

  /** Playout was cleared at `playedMs`: nothing is queued any more. Finished items are forgotten. */
  cleared(playedMs: number): void {
    this.queueEnd = playedMs;
    this.items.length = 0;
  }

  /** Drops items that were heard completely (keeps the list short on long calls). */
  prune(): void {
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i].heardAll) this.items.splice(i, 1);
  }
}

/** The leading words of `text` covering about `fraction` of it (by characters), for an interrupted turn. */
export function heardPrefix(text: string, fraction: number): string {
  if (fraction >= 1) return text;
  if (fraction <= 0 || text.length === 0) return '';
  const target = text.length * fraction;
  let end = 0;
  for (const m of text.matchAll(/\S+/g)) {
    const wordEnd = (m.index ?? 0) + m[0].length;
    // A word counts once at least half of it was heard.
    if ((m.index ?? 0) + m[0].length / 2 > target) break;
    end = wordEnd;
  }
  return text.slice(0, end);
}
