import type { Logger } from 'pino';
import { parseExotelTime } from '../exotel/status-callback.js';
import type { ExotelCall, ExotelRestClient } from '../exotel/rest-client.js';
import type { CallStatus, CallStore, CallUpdate } from '../store/call-store.js';

const OPEN_STATUSES: CallStatus[] = ['queued', 'dialing', 'ringing', 'in-progress'];
const TERMINAL: Record<string, CallStatus> = { completed: 'completed', failed: 'failed', busy: 'busy', 'no-answer': 'no-answer', canceled: 'canceled' };

export interface StatusRefresherOptions {
  store: CallStore;
  rest: ExotelRestClient;
  log: Logger;
  /** An outbound call not updated for this long is asked about. */
  staleAfterMs?: number;
  /** How often to look. */
  intervalMs?: number;
  /** Most calls asked about per sweep (Exotel allows 200 requests a minute in all). */
  batch?: number;
  /** Whether this node runs the sweeps now (in a fleet, the holder of a lease: never two nodes at once). */
  isLeader?: () => boolean;
  now?: () => number;
}

/**
 * Exotel's status callbacks can be late or lost (spec §8): outbound calls that stay open too long are looked up
 * with `GET Calls/<sid>.json?details=true` and settled from Exotel's own answer.
 */
export class StatusRefresher {
  private timer?: NodeJS.Timeout;
  private readonly lastAsked = new Map<string, number>();
  private running?: Promise<number>;
  private readonly o: Required<StatusRefresherOptions>;

  constructor(options: StatusRefresherOptions) {
    this.o = { staleAfterMs: 5 * 60_000, intervalMs: 60_000, batch: 20, now: Date.now, isLeader: () => true, ...options };
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Refreshes stale open outbound calls; returns how many were asked about. One sweep at a time. */
  sweep(): Promise<number> {
    this.running ??= this.doSweep().finally(() => (this.running = undefined));
    return this.running;
  }

  private async doSweep(): Promise<number> {
    const { store, staleAfterMs, batch, now } = this.o;
    if (!this.o.isLeader()) return 0;
    const cutoff = now() - staleAfterMs;
    let asked = 0;
    for (const status of OPEN_STATUSES) {
      const page = await store.list({ status, direction: 'outbound', limit: 200 });
      for (const call of page.items) {
        if (asked >= batch) return asked;
        if (!call.callSid || call.updatedAt > cutoff || (this.lastAsked.get(call.id) ?? 0) > cutoff) continue;
        this.lastAsked.set(call.id, now());
        asked++;
        await this.refresh(call.id, call.callSid);
      }
    }
    for (const [id, at] of this.lastAsked) if (at < cutoff - staleAfterMs) this.lastAsked.delete(id);
    return asked;
  }

  private async refresh(id: string, callSid: string): Promise<void> {
    try {
      const call = await this.o.rest.getCall(callSid, { details: true });
      this.o.store.appendEvent(id, { type: 'status-refresh', data: { exotelStatus: call.Status } });
      this.o.store.update(id, updateFromDetails(call));
    } catch (err) {
      this.o.log.warn({ err, callId: id }, 'could not refresh call status from Exotel');
    }
  }
}

export function updateFromDetails(call: ExotelCall): CallUpdate {
  const update: CallUpdate = { exotelStatus: call.Status };
  const terminal = TERMINAL[call.Status];
  if (terminal) {
    update.status = terminal;
    const end = parseExotelTime(call.EndTime ?? undefined);
    if (end) update.endedAt = end;
  }
  if (call.RecordingUrl) update.recordingUrl = call.RecordingUrl;
  if (call.Details) {
    update.exotelDetails = { ConversationDuration: call.Details.ConversationDuration, Duration: call.Duration, Price: call.Price };
    update.exotelLegs = call.Details.Legs.map((l) => ({ ...l.Leg }));
  }
  return update;
}
