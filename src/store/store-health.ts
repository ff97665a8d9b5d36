// Store faults: which errors mean "the database refuses writes" (keep the writes, retry) rather than
// "this one write is bad" (drop it), the ok/degraded state /ready reports, and error reports throttled
// to one a minute per kind, so a full disk under 500 calls logs a line a minute, not ten thousand.
import type { StoreFaultKind, StoreHealth, WriteFailureKind } from './call-store.js';
import { classifyPostgresError } from './postgres-errors.js';

const FAULT_REASONS: Record<StoreFaultKind, string> = {
  full: 'the disk or the database is full',
  locked: 'the database is locked by another connection or does not answer in time',
  closed: 'the database connection is closed or cannot be made',
  io: 'the database file cannot be read or written',
};

export function classifyWriteError(err: unknown): WriteFailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code === 'SQLITE_FULL') return 'full';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
    if (/^SQLITE_(IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|NOMEM|PROTOCOL|PERM|NOLFS)/.test(code)) return 'io';
  }
  // better-sqlite3 throws a TypeError once its connection is closed.
  if (err instanceof TypeError && /connection is not open/.test(err.message)) return 'closed';
  return classifyPostgresError(err) ?? 'refused';
}

export const isStoreFault = (err: unknown): boolean => classifyWriteError(err) !== 'refused';

export interface StoreErrorInfo {
  /** A WriteFailureKind, or 'overflow' (pending writes dropped), 'checkpoint', 'close'. */
  kind: string;
  /** Reports of this kind swallowed since the last one that got through. */
  suppressed: number;
}

export interface StoreRecoveryInfo {
  kind: StoreFaultKind;
  failures: number;
  degradedMs: number;
  /** Error reports swallowed during the episode. */
  suppressed: number;
}

export interface StoreHealthOptions {
  clock: () => number;
  /** At most one error report per kind per this many ms. Default 60000. */
  reportIntervalMs?: number;
  onError?: (err: unknown, info: StoreErrorInfo) => void;
  onRecover?: (info: StoreRecoveryInfo) => void;
}

export class StoreHealthTracker {
  readonly failures: Record<WriteFailureKind, number> = { full: 0, locked: 0, closed: 0, io: 0, refused: 0 };
  private episode: { kind: StoreFaultKind; since: number; failures: number } | null = null;
  private readonly reports = new Map<string, { at: number; suppressed: number }>();
  private readonly reportIntervalMs: number;

  constructor(private readonly options: StoreHealthOptions) {
    this.reportIntervalMs = options.reportIntervalMs ?? 60_000;
  }

  get degraded(): boolean {
    return this.episode !== null;
  }

  /** Counts a failed write attempt. True when it is a store fault: keep the writes and retry them later. */
  failed(err: unknown): boolean {
    const kind = classifyWriteError(err);
    this.failures[kind]++;
    this.report(kind, err);
    if (kind === 'refused') return false;
    this.episode ??= { kind, since: this.options.clock(), failures: 0 };
    this.episode.kind = kind; // the latest cause: a full disk may turn into a locked file
    this.episode.failures++;
    return true;
  }

  /** A write landed: the episode (if any) is over. */
  recovered(): void {
    const e = this.episode;
    if (e === null) return;
    this.episode = null;
    let suppressed = 0;
    for (const kind of Object.keys(FAULT_REASONS)) {
      suppressed += this.reports.get(kind)?.suppressed ?? 0;
      this.reports.delete(kind); // so the next fault is reported at once
    }
    this.options.onRecover?.({ kind: e.kind, failures: e.failures, degradedMs: this.options.clock() - e.since, suppressed });
  }

  /** Passes `err` on unless a report of the same kind went out less than reportIntervalMs ago. */
  report(kind: string, err: unknown): void {
    const now = this.options.clock();
    const last = this.reports.get(kind);
    if (last !== undefined && now - last.at < this.reportIntervalMs) {
      last.suppressed++;
      return;
    }
    this.reports.set(kind, { at: now, suppressed: 0 });
    this.options.onError?.(err, { kind, suppressed: last?.suppressed ?? 0 });
  }

  health(pendingOps: number, droppedOps: number): StoreHealth {
    const e = this.episode;
    if (e === null) return { status: 'ok' };
    return {
      status: 'degraded',
      kind: e.kind,
      reason: FAULT_REASONS[e.kind],
      since: new Date(e.since).toISOString(),
      failures: e.failures,
      pendingOps,
      droppedOps,
    };
  }
}
