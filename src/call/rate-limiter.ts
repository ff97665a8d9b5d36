export type SlotResult = { ok: true } | { ok: false; retryAfterMs: number };

/** The outbound dial limit: this node's own window, or the fleet's shared one (src/fleet). */
export interface DialLimiter {
  /** Takes a slot, or says how long to wait for one. */
  take(): SlotResult | Promise<SlotResult>;
}

/** At most `limit` events in any sliding minute; `retryAfterMs` says when the next one fits. */
export class SlidingWindowLimiter implements DialLimiter {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a slot, or returns how long to wait for one. */
  take(): SlotResult {
    const now = this.now();
    while (this.times.length > 0 && this.times[0] <= now - this.windowMs) this.times.shift();
    if (this.times.length >= this.limit) return { ok: false, retryAfterMs: this.times[0] + this.windowMs - now };
    this.times.push(now);
    return { ok: true };
  }
}
