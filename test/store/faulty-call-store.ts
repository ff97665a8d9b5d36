// A real SqliteCallStore whose writes fail on command, the way SQLite fails them: SQLITE_FULL (disk full),
// SQLITE_BUSY (another connection holds the lock), or better-sqlite3's TypeError for a closed connection
// (database gone). The fault is injected at the store's write transactions (the beforeWrite seam: creates
// and flushes), so the store's own queueing, retries and health are what is under test. Reads still work.
import Database from 'better-sqlite3';
import type {
  CallRecord,
  CallStore,
  CallStoreStats,
  CallUpdate,
  ListPage,
  ListQuery,
  NewCall,
  NewCallEvent,
  NewTurn,
  StoreHealth,
  TurnUpdate,
} from '../../src/store/call-store.js';
import { openSqliteCallStore, type SqliteCallStore, type SqliteCallStoreOptions } from '../../src/store/sqlite-call-store.js';

export type InjectedFault = 'full' | 'locked' | 'closed';

export function faultError(kind: InjectedFault): Error {
  switch (kind) {
    case 'full':
      return new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
    case 'locked':
      return new Database.SqliteError('database is locked', 'SQLITE_BUSY');
    case 'closed':
      return new TypeError('The database connection is not open');
  }
}

export class FaultyCallStore implements CallStore {
  readonly inner: SqliteCallStore;
  private fault: InjectedFault | null = null;
  /** Write transactions attempted while a fault was on (each one failed). */
  failedAttempts = 0;
  /** Write transactions attempted in all. */
  attempts = 0;

  constructor(options: Omit<SqliteCallStoreOptions, 'beforeWrite'>) {
    this.inner = openSqliteCallStore({
      ...options,
      beforeWrite: () => {
        this.attempts++;
        if (this.fault === null) return;
        this.failedAttempts++;
        throw faultError(this.fault);
      },
    });
  }

  fail(kind: InjectedFault): void {
    this.fault = kind;
  }

  heal(): void {
    this.fault = null;
  }

  create(input: NewCall): Promise<string> {
    return this.inner.create(input);
  }
  createOrGetByCallLogId(input: NewCall & { callLogId: string }): Promise<{ record: CallRecord; created: boolean }> {
    return this.inner.createOrGetByCallLogId(input);
  }
  appendEvent(id: string, event: NewCallEvent): void {
    this.inner.appendEvent(id, event);
  }
  addTurn(id: string, turn: NewTurn): number {
    return this.inner.addTurn(id, turn);
  }
  updateTurn(id: string, seq: number, patch: TurnUpdate): void {
    this.inner.updateTurn(id, seq, patch);
  }
  update(id: string, patch: CallUpdate): void {
    this.inner.update(id, patch);
  }
  attachCallSid(id: string, callSid: string, streamSid?: string): void {
    this.inner.attachCallSid(id, callSid, streamSid);
  }
  get(key: string): Promise<CallRecord | null> {
    return this.inner.get(key);
  }
  list(query?: ListQuery): Promise<ListPage> {
    return this.inner.list(query);
  }
  delete(id: string): Promise<boolean> {
    return this.inner.delete(id);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  stats(): CallStoreStats {
    return this.inner.stats();
  }
  health(): StoreHealth {
    return this.inner.health();
  }
}
