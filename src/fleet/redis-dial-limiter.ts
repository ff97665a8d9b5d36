import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DialLimiter, SlotResult } from '../call/rate-limiter.js';
import { SlidingWindowLimiter } from '../call/rate-limiter.js';
import type { RedisHealth } from './redis-health.js';
import { redisKeys } from './redis-keys.js';

/**
 * A sliding window over a sorted set, atomic in one script: expired dials leave, then a slot is taken if the window
 * has room, else the wait until its oldest dial leaves is returned. Redis's own clock, so nodes whose clocks differ
 * still share one window.
 */
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
`;

/**
 * `CALLS_PER_MINUTE` for the whole fleet. While Redis fails, each node falls back to its own window of the same
 * size (the fleet may then dial up to that many per node; Exotel's own 200/min still holds), and says so through
 * `health`.
 */
export class RedisDialLimiter implements DialLimiter {
  private readonly fallback: SlidingWindowLimiter;
  private readonly prefix = randomBytes(6).toString('hex');
  private seq = 0;

  constructor(
    private readonly redis: Redis,
    private readonly limit: number,
    private readonly health: RedisHealth,
    private readonly windowMs = 60_000,
  ) {
    this.fallback = new SlidingWindowLimiter(limit, windowMs);
  }

  async take(): Promise<SlotResult> {
    try {
      const answer = await this.redis.eval(TAKE_SLOT, 1, redisKeys.dialRate, this.windowMs, this.limit, `${this.prefix}:${++this.seq}`);
      if (!Array.isArray(answer) || typeof answer[0] !== 'number' || typeof answer[1] !== 'number') throw new Error('unexpected answer from the dial-rate script');
      return answer[0] === 1 ? { ok: true } : { ok: false, retryAfterMs: Math.max(0, answer[1]) };
    } catch (err) {
      this.health.fail('dial limit', err);
      return this.fallback.take();
    }
  }
}
