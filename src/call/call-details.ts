/** What the webhook learnt about a call, kept until the media WebSocket for it arrives. */
export interface CallDetails {
  callId: string;
  from?: string;
  to?: string;
  direction?: string;
  customField?: string;
  agent?: string;
  /** Every parameter of the webhook request, for the call record. */
  params: Record<string, string>;
  receivedAt: number;
}

/** Short-lived store of webhook details keyed by call id; a Redis-backed one joins calls across instances. */
export interface CallDetailsStore {
  put(details: CallDetails): void | Promise<void>;
  get(callId: string): CallDetails | undefined | Promise<CallDetails | undefined>;
}

/** In-process store with a time-to-live and a size cap, so a webhook flood cannot grow memory without bound. */
export class MemoryCallDetailsStore implements CallDetailsStore {
  private readonly entries = new Map<string, CallDetails>();

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  put(details: CallDetails): void {
    this.entries.delete(details.callId);
    this.entries.set(details.callId, details);
    // Map iteration is insertion order: the oldest entries come first.
    const cutoff = this.now() - this.ttlMs;
    for (const [id, d] of this.entries) {
      if (d.receivedAt >= cutoff && this.entries.size <= this.maxEntries) break;
      this.entries.delete(id);
    }
  }

  get(callId: string): CallDetails | undefined {
    const d = this.entries.get(callId);
    if (!d) return undefined;
    if (d.receivedAt < this.now() - this.ttlMs) {
      this.entries.delete(callId);
      return undefined;
    }
    return d;
  }

  get size(): number {
    return this.entries.size;
  }
}
