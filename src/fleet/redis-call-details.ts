import type { Redis } from 'ioredis';
import { MemoryCallDetailsStore, type CallDetails, type CallDetailsStore } from '../call/call-details.js';
import { parseCallDetails } from './fleet-payloads.js';
import type { RedisHealth } from './redis-health.js';
import { redisKeys } from './redis-keys.js';

/** As long as the in-memory store keeps them: Exotel opens the stream seconds after the webhook. */
export const CALL_DETAILS_TTL_MS = 10 * 60_000;
/** Details written while Redis was down, kept to be written when it returns (bounded like the memory store). */
const MAX_UNSYNCED = 50_000;

/**
 * The webhook's call details, shared by the fleet so the media WebSocket may land on another node than the webhook
 * did. Kept in memory too: a socket on the same node never waits for Redis, and while Redis fails details are
 * node-local (a socket on another node starts without them, as a call without a webhook does) and are written
 * once it is back. Never throws.
 */
export class RedisCallDetailsStore implements CallDetailsStore {
  private readonly local: MemoryCallDetailsStore;
  private readonly unsynced = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly health: RedisHealth,
    now: () => number = Date.now,
  ) {
    this.local = new MemoryCallDetailsStore(CALL_DETAILS_TTL_MS, 50_000, now);
    health.onRecover(() => void this.resync());
  }

  async put(details: CallDetails): Promise<void> {
    this.local.put(details);
    if (!(await this.write(details))) {
      this.unsynced.add(details.callId);
      if (this.unsynced.size > MAX_UNSYNCED) this.unsynced.delete(this.unsynced.values().next().value!);
    }
  }

  async get(callId: string): Promise<CallDetails | undefined> {
    const mine = this.local.get(callId);
    if (mine) return mine;
    try {
      return parseCallDetails(await this.redis.get(redisKeys.callDetails(callId)), callId);
    } catch (err) {
      this.health.fail('call details lookup', err);
      return undefined;
    }
  }

  private async write(details: CallDetails): Promise<boolean> {
    try {
      await this.redis.set(redisKeys.callDetails(details.callId), JSON.stringify(details), 'PX', CALL_DETAILS_TTL_MS);
      return true;
    } catch (err) {
      this.health.fail('call details', err);
      return false;
    }
  }

  /** Redis is back: write what the webhook took while it was down (and is still fresh). */
  private async resync(): Promise<void> {
    for (const callId of [...this.unsynced]) {
      this.unsynced.delete(callId);
      const details = this.local.get(callId);
      if (details && !(await this.write(details))) return void this.unsynced.add(callId);
    }
  }
}
