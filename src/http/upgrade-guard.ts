/**
 * Failed media-socket upgrades per client address (bad credentials, unusable call_id): past `limit` in a
 * window, that address is answered 429 before any further work, so one address cannot keep the server busy
 * checking tokens or holding sockets. Fixed windows per address; the table is bounded (oldest address out).
 */
export class FailedUpgradeLimiter {
  private readonly byAddress = new Map<string, { windowStart: number; failures: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxAddresses = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `address` may try again, or 0 when it may now. */
  retryAfterMs(address: string): number {
    const entry = this.byAddress.get(address);
    if (!entry) return 0;
    const left = entry.windowStart + this.windowMs - this.now();
    if (left <= 0) {
      this.byAddress.delete(address);
      return 0;
    }
    return entry.failures >= this.limit ? left : 0;
  }

  /** Counts one failed upgrade from `address`. */
  fail(address: string): void {
    const now = this.now();
    let entry = this.byAddress.get(address);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      this.byAddress.delete(address);
      entry = { windowStart: now, failures: 0 };
      this.byAddress.set(address, entry);
      if (this.byAddress.size > this.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    }
    entry.failures++;
  }

  get trackedAddresses(): number {
    return this.byAddress.size;
  }
}
