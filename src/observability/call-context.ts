import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The call a piece of work belongs to. Sessions enter it at their boundary (every socket event, sweeper check
 * and timer of a call), and Node carries it into the timers, promises and callbacks started from there; so a
 * fault that escapes to `uncaughtException`/`unhandledRejection` can still be pinned on, and end, its own call.
 */
export interface CallScope {
  readonly callId: string;
  readonly ended: boolean;
  /** Ends the call for a fault it raised; never throws. */
  fail(err: unknown, source: string): void;
}

const storage = new AsyncLocalStorage<CallScope>();

export function runInCall<T>(scope: CallScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The call the current code runs for, if any. */
export function currentCall(): CallScope | undefined {
  return storage.getStore();
}
