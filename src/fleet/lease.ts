import type { Redis } from 'ioredis';
import type { RedisHealth } from './redis-health.js';
import { redisKeys } from './redis-keys.js';

/** Takes the lease when free, renews it when ours; 1 when we hold it afterwards. */
const ACQUIRE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A job only one node of the fleet may run at a time (`exovoice:lease:<name>`). `held` is judged on this node's
 * monotonic clock from the moment the last acquire/renew was *sent*, minus a margin: Redis starts the TTL later
 * than that, so this node stops believing it holds the lease before Redis lets another node take it. Without Redis
 * nobody holds it (the jobs wait; calls do not need them).
 */
export class Lease {
  private heldUntil = 0;

  constructor(
    private readonly redis: Redis,
    readonly name: string,
    private readonly nodeId: string,
    private readonly ttlMs: number,
    private readonly health: RedisHealth,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get held(): boolean {
    return this.now() < this.heldUntil;
  }

  /** Acquires or renews; call at least twice per TTL. Never throws. */
  async renew(): Promise<boolean> {
    const sentAt = this.now();
    try {
      const won = await this.redis.eval(ACQUIRE_OR_RENEW, 1, redisKeys.lease(this.name), this.nodeId, this.ttlMs);
      this.heldUntil = won === 1 ? sentAt + this.ttlMs * 0.9 : 0;
    } catch (err) {
      this.health.fail(`lease ${this.name}`, err);
    }
    return this.held;
  }

  /** Gives the lease up (shutdown), so another node takes it without waiting for the TTL. */
  async release(): Promise<void> {
    const wasHeld = this.held;
    this.heldUntil = 0;
    if (!wasHeld) return;
    await this.redis.eval(RELEASE, 1, redisKeys.lease(this.name), this.nodeId).catch(() => {});
  }
}
