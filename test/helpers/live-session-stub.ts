import type { LiveSession, SessionSnapshot } from '../../src/call/session-registry.js';

/** A live call as the registry sees it, without a socket: for registry and sweeper tests. */
export class StubSession implements LiveSession {
  terminated?: string;
  constructor(
    readonly callId: string,
    private readonly startedAt = Date.now(),
  ) {}

  snapshot(now: number): SessionSnapshot {
    return {
      callId: this.callId,
      from: '+919876543210',
      to: '08047491899',
      direction: 'incoming',
      agent: 'echo',
      sampleRate: 8000,
      startedAt: new Date(this.startedAt).toISOString(),
      durationMs: now - this.startedAt,
      framesIn: 10,
      framesOut: 2,
      state: 'streaming',
    };
  }

  terminate(reason: 'replaced' | 'shutdown'): void {
    this.terminated = reason;
  }
}
