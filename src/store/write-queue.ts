// The write-behind queue of the stores: media-path writes wait here until a flush writes them in one
// transaction (FlushScheduler decides when): WriteQueue for a synchronous database (SQLite), AsyncWriteQueue
// for one across a network (Postgres), which writes one batch at a time. While the database refuses writes (StoreHealthTracker)
// the queue keeps them, within a bound, and retries with exponential back-off; reads do not retry in
// between. Past the bound the oldest writes of the lowest rank are dropped (opRank: timeline events
// first, call-field patches last), trimming to 90% of the bound so that a full queue sheds in chunks.
import { performance } from 'node:perf_hooks';
import type { CallStoreStats } from './call-store.js';
import { FlushScheduler, type Timers } from './flush-scheduler.js';
import { opBytes, opRank, type Op } from './write-ops.js';
import { isStoreFault, type StoreHealthTracker } from './store-health.js';

export interface FlushInfo {
  durationMs: number;
  ops: number;
  events: number;
  /** Events made durable since the store opened (this flush included). */
  totalEvents: number;
}

/** write(ops, isolate) writes a batch in one transaction; returns how many ops were dropped; throws if nothing was written. */
export interface WriteQueueOptions<R extends number | Promise<number> = number> {
  write: (ops: Op[], isolate: boolean) => R;
  health: StoreHealthTracker;
  flushIntervalMs: number;
  maxBatchOps: number;
  maxPendingOps: number;
  maxPendingBytes: number;
  /** Longest wait between retries of a failing database. */
  maxRetryDelayMs: number;
  timers?: Timers;
  onFlushed: (info: FlushInfo) => void;
}

/** The queue's share of the store's stats. */
export type WriteQueueCounters = Pick<
  CallStoreStats,
  'flushes' | 'failedFlushes' | 'flushedOps' | 'flushedEvents' | 'droppedOps' | 'overflowDroppedOps' | 'lastFlushMs' | 'maxFlushMs'
>;

/** What both queues share: the pending writes, their bound, the counters and the retry back-off. */
abstract class PendingWrites<R extends number | Promise<number>> {
  readonly counters: WriteQueueCounters = {
    flushes: 0,
    failedFlushes: 0,
    flushedOps: 0,
    flushedEvents: 0,
    droppedOps: 0,
    overflowDroppedOps: 0,
    lastFlushMs: 0,
    maxFlushMs: 0,
  };
  protected ops: Op[] = [];
  protected bytes = 0;
  protected failuresInARow = 0;
  protected readonly scheduler: FlushScheduler;

  constructor(protected readonly options: WriteQueueOptions<R>) {
    this.scheduler = new FlushScheduler(() => this.onTimer(), {
      intervalMs: options.flushIntervalMs,
      maxBatchOps: options.maxBatchOps,
      timers: options.timers,
    });
  }

  protected abstract onTimer(): void;

  get pendingOps(): number {
    return this.ops.length;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  push(op: Op): void {
    this.ops.push(op);
    this.bytes += opBytes(op);
    if (this.ops.length > this.options.maxPendingOps || this.bytes > this.options.maxPendingBytes) this.shed();
    this.scheduler.enqueued(this.ops.length);
  }

  /** A write outside the queue landed: the database works again, so retry now rather than after the back-off. */
  databaseWorks(): void {
    if (!this.options.health.degraded) return;
    if (this.ops.length === 0) this.options.health.recovered();
    else this.scheduler.failed(0);
  }

  /** Gives up on everything pending (the store is closing); returns how many writes that was. */
  discard(): number {
    const n = this.ops.length;
    this.counters.droppedOps += n;
    this.ops = [];
    this.bytes = 0;
    this.scheduler.cancel();
    return n;
  }

  /** Takes everything pending for a flush; null when there is nothing, or a 'read' comes while the queue waits to retry. */
  protected take(when: 'now' | 'read'): { ops: Op[]; bytes: number } | null {
    if (this.ops.length === 0 || (when === 'read' && this.failuresInARow > 0)) return null;
    this.scheduler.cancel();
    const batch = { ops: this.ops, bytes: this.bytes };
    this.ops = [];
    this.bytes = 0;
    return batch;
  }

  protected landed(ops: Op[], dropped: number, t0: number): void {
    const durationMs = performance.now() - t0;
    this.failuresInARow = 0;
    let events = 0;
    for (const op of ops) if (op.kind === 'event') events++;
    const c = this.counters;
    c.flushes++;
    c.flushedOps += ops.length - dropped;
    c.flushedEvents += events;
    c.droppedOps += dropped;
    c.lastFlushMs = durationMs;
    if (durationMs > c.maxFlushMs) c.maxFlushMs = durationMs;
    this.options.health.recovered();
    this.options.onFlushed({ durationMs, ops: ops.length, events, totalEvents: c.flushedEvents });
  }

  /** A batch failed as a whole (the failure already counted): back in front of the queue, retried after a back-off. */
  protected failed(ops: Op[], bytes: number): void {
    this.counters.failedFlushes++;
    this.failuresInARow++;
    this.ops = ops.concat(this.ops);
    this.bytes += bytes;
    if (this.ops.length > this.options.maxPendingOps || this.bytes > this.options.maxPendingBytes) this.shed();
    const delay = Math.min(this.options.flushIntervalMs * 2 ** (this.failuresInARow - 1), this.options.maxRetryDelayMs);
    this.scheduler.failed(delay);
  }

  /** After a failed batch: true when it is worth retrying with each write isolated (a refusal, not a fault). */
  protected isolateAfter(err: unknown): boolean {
    if (!isStoreFault(err)) return true;
    this.options.health.failed(err);
    return false;
  }

  private shed(): void {
    const target = { ops: Math.floor(this.options.maxPendingOps * 0.9), bytes: Math.floor(this.options.maxPendingBytes * 0.9) };
    let excessOps = this.ops.length - target.ops;
    let excessBytes = this.bytes - target.bytes;
    let dropped = 0;
    for (let rank = 0; rank <= 2 && (excessOps > 0 || excessBytes > 0); rank++) {
      const kept: Op[] = [];
      for (const op of this.ops) {
        if ((excessOps > 0 || excessBytes > 0) && opRank(op) === rank) {
          const size = opBytes(op);
          excessOps--;
          excessBytes -= size;
          this.bytes -= size;
          dropped++;
        } else {
          kept.push(op);
        }
      }
      this.ops = kept;
    }
    this.counters.droppedOps += dropped;
    this.counters.overflowDroppedOps += dropped;
    this.options.health.report(
      'overflow',
      new Error(`call store: dropped ${dropped} oldest pending writes (database failing, ${this.ops.length} still pending)`),
    );
  }
}

export class WriteQueue extends PendingWrites<number> {
  protected onTimer(): void {
    this.flush('now');
  }

  /**
   * Writes everything pending. 'read' (a read about to run) skips the attempt while the queue waits to
   * retry a failing database, so that reads do not each pay for a failing write.
   */
  flush(when: 'now' | 'read'): void {
    const batch = this.take(when);
    if (batch === null) return;
    const t0 = performance.now();
    let dropped: number;
    try {
      dropped = this.writeBatch(batch.ops);
    } catch {
      this.failed(batch.ops, batch.bytes);
      return;
    }
    this.landed(batch.ops, dropped, t0);
  }

  /**
   * One bad write must not sink the batch: on a refusal, retry with each write isolated, dropping only those
   * refused. Throws (the failure counted) when nothing could be written.
   */
  private writeBatch(ops: Op[]): number {
    try {
      return this.options.write(ops, false);
    } catch (err) {
      if (!this.isolateAfter(err)) throw err;
    }
    try {
      return this.options.write(ops, true);
    } catch (err) {
      this.options.health.failed(err);
      throw err;
    }
  }
}

export class AsyncWriteQueue extends PendingWrites<Promise<number>> {
  private inFlight: Promise<boolean> | null = null;
  private inFlightOps = 0;

  protected onTimer(): void {
    void this.flush('now');
  }

  /** Includes the batch being written. */
  override get pendingOps(): number {
    return this.ops.length + this.inFlightOps;
  }

  /**
   * Writes everything pushed before the call (after the batch in flight, if any). True when that landed;
   * false when the database failed it (the writes are kept for a retry). 'read': as WriteQueue.flush.
   */
  async flush(when: 'now' | 'read'): Promise<boolean> {
    while (this.inFlight !== null) await this.inFlight;
    const batch = this.take(when);
    if (batch === null) return true;
    this.inFlightOps = batch.ops.length;
    this.inFlight = this.writeBatch(batch.ops, batch.bytes);
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = null;
      this.inFlightOps = 0;
    }
  }

  /** As WriteQueue's writeBatch; the outcome settled here, so the promise never rejects. */
  private async writeBatch(ops: Op[], bytes: number): Promise<boolean> {
    const t0 = performance.now();
    let dropped: number;
    try {
      try {
        dropped = await this.options.write(ops, false);
      } catch (err) {
        if (!this.isolateAfter(err)) throw err;
        dropped = await this.options.write(ops, true).catch((e: unknown) => {
          this.options.health.failed(e);
          throw e;
        });
      }
    } catch {
      this.failed(ops, bytes);
      return false;
    }
    this.landed(ops, dropped, t0); // outside the catch: what landed is never queued again
    return true;
  }
}
