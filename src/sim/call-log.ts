import type { SimClock } from './frame-clock.js';
import type { ClearRecord, EndedBy, MarkRecord, TimelineEntry, Violation, ViolationRule } from './report.js';

/**
 * What happened on a simulated call, as it happens: typed events a test can wait for (past ones included, so
 * a fast bot cannot slip past), the timeline a report prints, protocol violations, and free-form notes.
 */

export interface BotFrameEvent {
  index: number;
  atMs: number;
  bytes: number;
  durationMs: number;
  aheadMs: number;
  /** False when the payload could not be decoded and nothing was queued. */
  queued: boolean;
}

export interface SimEvents {
  botMedia: BotFrameEvent;
  firstBotAudio: { atMs: number };
  markEchoed: MarkRecord;
  markDropped: MarkRecord;
  clear: ClearRecord;
  violation: Violation;
  dtmfSent: { digit: string; atMs: number };
  /** Playout started sounding bot audio after silence. */
  playoutStarted: { atMs: number };
  /** Playout queue emptied; `endOfReply` when a mark or clear ended it. */
  playoutIdle: { atMs: number; endOfReply: boolean };
  closed: { endedBy: EndedBy; code: number; reason: string; atMs: number };
}
export type SimEventName = keyof SimEvents;

export interface WaitForOptions<T> {
  predicate?: (event: T) => boolean;
  /** Default 10 s; Infinity waits forever. */
  timeoutMs?: number;
  /** Also match events that already happened (default true, so a fast bot cannot slip past). */
  includePast?: boolean;
}

interface Waiter {
  name: SimEventName;
  predicate: (event: never) => boolean;
  resolve: (event: never) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

export class CallLog {
  private readonly events: Array<{ name: SimEventName; event: unknown }> = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<{ name: SimEventName; fn: (event: never) => void }>();
  private readonly timelineEntries: TimelineEntry[] = [];
  private readonly violationList: Violation[] = [];
  private readonly counts: Partial<Record<ViolationRule, number>> = {};
  private readonly noteList: string[] = [];
  private ended = false;

  /** `elapsedMs` is the call's clock: ms since `start` was sent. */
  constructor(
    private readonly clock: SimClock,
    private readonly elapsedMs: () => number,
  ) {}

  emit<K extends SimEventName>(name: K, event: SimEvents[K]): void {
    this.events.push({ name, event });
    for (const l of this.listeners) if (l.name === name) (l.fn as (e: SimEvents[K]) => void)(event);
    for (const waiter of this.waiters) {
      if (waiter.name !== name || !(waiter.predicate as (e: SimEvents[K]) => boolean)(event)) continue;
      this.waiters.delete(waiter);
      if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
      (waiter.resolve as (e: SimEvents[K]) => void)(event);
    }
  }

  /** Calls `fn` with every later `name` event; returns the unsubscribe. */
  on<K extends SimEventName>(name: K, fn: (event: SimEvents[K]) => void): () => void {
    const entry = { name, fn: fn as (event: never) => void };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** See `SimulatedCall.waitFor`. */
  waitFor<K extends SimEventName>(name: K, options: WaitForOptions<SimEvents[K]> = {}): Promise<SimEvents[K]> {
    const predicate = options.predicate ?? (() => true);
    if (options.includePast ?? true) {
      for (const entry of this.events) {
        if (entry.name === name && predicate(entry.event as SimEvents[K])) return Promise.resolve(entry.event as SimEvents[K]);
      }
    }
    if (this.ended && name !== 'closed') return Promise.reject(new Error(`call already ended; no ${name} event`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { name, predicate: predicate as (e: never) => boolean, resolve: resolve as (e: never) => void, reject, timer: undefined };
      const timeoutMs = options.timeoutMs ?? 10_000;
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = this.clock.setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name}`));
        }, timeoutMs);
      }
      this.waiters.add(waiter);
    });
  }

  /** The call is over: every waiter still waiting is rejected with `why(name)`. */
  end(why: (name: SimEventName) => string): void {
    this.ended = true;
    for (const waiter of this.waiters) {
      if (waiter.timer !== undefined) this.clock.clearTimeout(waiter.timer);
      waiter.reject(new Error(why(waiter.name)));
    }
    this.waiters.clear();
  }

  addTimeline(text: string, atMs = this.elapsedMs()): void {
    this.timelineEntries.push({ atMs, text });
  }

  /** Records a violation; only the first of each rule goes on the timeline, so a flood stays readable. */
  violate(rule: ViolationRule, message: string, frame?: number): void {
    const violation: Violation = { atMs: this.elapsedMs(), rule, message, ...(frame === undefined ? {} : { frame }) };
    this.violationList.push(violation);
    const seen = this.counts[rule] ?? 0;
    this.counts[rule] = seen + 1;
    if (seen === 0) this.addTimeline(`violation [${rule}] ${message}`, violation.atMs);
    this.emit('violation', violation);
  }

  note(text: string): void {
    this.noteList.push(text);
  }

  /** Copies, for a report. */
  snapshot(): { violations: Violation[]; violationCounts: Partial<Record<ViolationRule, number>>; timeline: TimelineEntry[]; notes: string[] } {
    return {
      violations: this.violationList.slice(),
      violationCounts: { ...this.counts },
      timeline: this.timelineEntries.slice().sort((a, b) => a.atMs - b.atMs),
      notes: this.noteList.slice(),
    };
  }
}
