import type { Logger } from 'pino';

/** Redis's state as `/ready` shows it (public: fixed texts, never Redis's own error messages). */
export type FleetHealth =
  | { status: 'ok'; nodeId: string }
  | {
      status: 'degraded';
      nodeId: string;
      reason: string;
      /** ISO time of the first failure of this episode. */
      since: string;
      /** Failed Redis operations in this episode. */
      failures: number;
    };

const DEGRADED_REASON = 'redis unreachable: live sessions, call details and the dial limit are node-local';

/**
 * Whether this node can use Redis, in episodes: the first failure logs one line and turns `/ready` degraded, later
 * ones are only counted, and the first success after them logs one line and runs the recovery hooks (re-register
 * everything).
 */
export class RedisHealth {
  private since?: number;
  private failures = 0;
  private lastError = '';
  private readonly recoveries: Array<() => void> = [];

  constructor(
    private readonly nodeId: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get degraded(): boolean {
    return this.since !== undefined;
  }

  /** A Redis operation failed (`what` names it in the one log line of the episode). */
  fail(what: string, err: unknown): void {
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.since !== undefined) return;
    this.since = this.now();
    this.log.warn({ what, error: this.lastError }, 'Redis unreachable: sessions, call details and the dial limit are node-local until it is back');
  }

  /** A Redis operation succeeded. */
  ok(): void {
    if (this.since === undefined) return;
    const downMs = this.now() - this.since;
    this.log.info({ downMs, failures: this.failures, lastError: this.lastError }, 'Redis reachable again: re-registering this node and its calls');
    this.since = undefined;
    this.failures = 0;
    for (const fn of this.recoveries) fn();
  }

  onRecover(fn: () => void): void {
    this.recoveries.push(fn);
  }

  health(): FleetHealth {
    if (this.since === undefined) return { status: 'ok', nodeId: this.nodeId };
    return { status: 'degraded', nodeId: this.nodeId, reason: DEGRADED_REASON, since: new Date(this.since).toISOString(), failures: this.failures };
  }
}
