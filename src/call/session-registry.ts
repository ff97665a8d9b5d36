import type { ControlOrigin, ControlVerdict, LiveAction } from './live-control.js';

/** A live call as `GET /voicebot/sessions` shows it. */
export interface SessionSnapshot {
  callId: string;
  streamSid?: string;
  from?: string;
  to?: string;
  direction?: string;
  agent?: string;
  sampleRate: number;
  startedAt: string;
  durationMs: number;
  framesIn: number;
  framesOut: number;
  state: 'connected' | 'streaming' | 'ending';
  /** The fleet node that holds the call (fleet mode). */
  nodeId?: string;
}

export interface LiveSession {
  readonly callId: string;
  snapshot(now: number): SessionSnapshot;
  /** Ends the call from outside (reconnect of the same call, shutdown). */
  terminate(reason: 'replaced' | 'shutdown'): void;
  /** An operator's action on the call (POST /calls/:id/...); sessions that take none leave it out. */
  control?(action: LiveAction, origin: ControlOrigin): ControlVerdict;
}

/** Where live calls are listed; ended calls leave at once. A Redis-backed registry lists calls across instances. */
export interface SessionRegistry {
  add(session: LiveSession): void;
  remove(session: LiveSession): void;
  get(callId: string): LiveSession | undefined;
  list(): SessionSnapshot[] | Promise<SessionSnapshot[]>;
  readonly size: number;
  all(): Iterable<LiveSession>;
  /** Calls `listener` when a call is added or removed (the console's live list); returns the unsubscribe. */
  onChange?(listener: () => void): () => void;
}

export class MemorySessionRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly listeners = new Set<() => void>();

  add(session: LiveSession): void {
    this.sessions.set(session.callId, session);
    this.changed();
  }

  remove(session: LiveSession): void {
    // A reconnect may already have replaced this call's entry with a newer session.
    if (this.sessions.get(session.callId) === session) {
      this.sessions.delete(session.callId);
      this.changed();
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  get(callId: string): LiveSession | undefined {
    return this.sessions.get(callId);
  }

  list(): SessionSnapshot[] {
    const now = Date.now();
    return [...this.sessions.values()].map((s) => s.snapshot(now));
  }

  get size(): number {
    return this.sessions.size;
  }

  all(): Iterable<LiveSession> {
    return this.sessions.values();
  }
}
