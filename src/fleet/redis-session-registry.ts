import type { Redis } from 'ioredis';
import { MemorySessionRegistry, type LiveSession, type SessionRegistry, type SessionSnapshot } from '../call/session-registry.js';
import { NODE_ID_PATTERN } from '../config/env.js';
import { parseHeartbeat, parseSnapshot, type Heartbeat } from './fleet-payloads.js';
import type { RedisHealth } from './redis-health.js';
import { redisKeys } from './redis-keys.js';

export interface RedisSessionRegistryOptions {
  redis: Redis;
  nodeId: string;
  heartbeatMs: number;
  health: RedisHealth;
  /** Runs once, before the first heartbeat that lands (the sweeper closes a previous run's calls under this id). */
  beforeFirstBeat?: () => Promise<void>;
  /** Another process heartbeats under this node id (two nodes given one NODE_ID would undo each other's calls). */
  onDuplicateNode?: (other: Heartbeat) => void;
  now?: () => number;
}

/** A node is dead once its heartbeat is 1.5 periods old: half a period of lateness is forgiven. */
export function heartbeatTtlMs(heartbeatMs: number): number {
  return Math.ceil(heartbeatMs * 1.5);
}

/** Deletes a call's owner key only while it still names this node (a reconnect may have moved the call). */
export const DELETE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One heartbeat, atomic and in one command (one script instead of a command per call: a tenth of the node's CPU at
 * 500 calls). KEYS: the node's key, the node set, the node's calls hash, then each call's owner key; ARGV: nodeId,
 * TTL, the heartbeat JSON, then callId and snapshot JSON per call, in the owner keys' order. The hash is rewritten
 * whole, so it never keeps an ended call. Returns the heartbeat it replaced.
 */
const HEARTBEAT = `
local previous = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
for i = 4, #KEYS do
  local a = 4 + (i - 4) * 2
  redis.call('HSET', KEYS[3], ARGV[a], ARGV[a + 1])
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
return previous
`;

/**
 * The sessions registry of a fleet node: this node's calls live in memory exactly as in single-node mode (the media
 * path never waits for Redis), and are heartbeated to Redis with a TTL so that every node's `list()` shows every
 * node's calls. Redis failures are reported to `health` and never thrown; the next heartbeat re-registers all.
 */
export class RedisSessionRegistry implements SessionRegistry {
  private readonly local = new MemorySessionRegistry();
  private readonly startedAt: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private firstBeatDone = false;
  /** A heartbeat of this run has landed. */
  private beaten = false;

  constructor(private readonly o: RedisSessionRegistryOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
  }

  add(session: LiveSession): void {
    this.local.add(session);
    const { redis, nodeId } = this.o;
    const snapshot = JSON.stringify(this.snapshotOf(session, this.now()));
    this.write('session add', redis.multi().hset(redisKeys.nodeCalls(nodeId), session.callId, snapshot).set(redisKeys.callOwner(session.callId), nodeId, 'PX', this.ttl));
  }

  remove(session: LiveSession): void {
    if (this.local.get(session.callId) !== session) return this.local.remove(session);
    this.local.remove(session);
    const { redis, nodeId } = this.o;
    const callId = session.callId;
    this.write('session remove', redis.multi().hdel(redisKeys.nodeCalls(nodeId), callId).eval(DELETE_IF_OWNER, 1, redisKeys.callOwner(callId), nodeId));
  }

  get(callId: string): LiveSession | undefined {
    return this.local.get(callId);
  }

  get size(): number {
    return this.local.size;
  }

  all(): Iterable<LiveSession> {
    return this.local.all();
  }

  /** Every live node's calls, each with its node id; this node's own from memory. Node-local while Redis fails. */
  async list(): Promise<SessionSnapshot[]> {
    const now = this.now();
    const mine = [...this.local.all()].map((s) => this.snapshotOf(s, now));
    const { redis, nodeId, health } = this.o;
    try {
      const others = (await redis.smembers(redisKeys.nodes)).filter((id) => id !== nodeId && NODE_ID_PATTERN.test(id));
      if (others.length === 0) return mine;
      const pipeline = redis.pipeline();
      for (const id of others) pipeline.get(redisKeys.node(id)).hgetall(redisKeys.nodeCalls(id));
      const results = (await pipeline.exec()) ?? [];
      const remote: SessionSnapshot[] = [];
      others.forEach((id, i) => {
        const [beatErr, beat] = results[2 * i] ?? [];
        const [callsErr, calls] = results[2 * i + 1] ?? [];
        // Only nodes that still heartbeat: a dead node's calls leave the list as soon as its heartbeat expires.
        if (beatErr || callsErr || parseHeartbeat(beat as string | null)?.nodeId !== id) return;
        for (const raw of Object.values((calls ?? {}) as Record<string, string>)) {
          const s = parseSnapshot(raw, id);
          if (s) remote.push(s);
        }
      });
      return [...mine, ...remote];
    } catch (err) {
      health.fail('sessions list', err);
      return mine;
    }
  }

  /** Starts heartbeating every `heartbeatMs`, beginning now. */
  start(): void {
    void this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.o.heartbeatMs);
    this.timer.unref();
  }

  /** One heartbeat (the HEARTBEAT script); one at a time; never throws. */
  heartbeat(): Promise<void> {
    this.beating ??= this.beat().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Stops heartbeating and, when no call is left, takes this node out of the fleet at once. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    if (this.local.size > 0) return; // the sweeper of another node closes them after the TTL
    const { redis, nodeId } = this.o;
    await redis
      .multi()
      .del(redisKeys.node(nodeId), redisKeys.nodeCalls(nodeId))
      .srem(redisKeys.nodes, nodeId)
      .exec()
      .catch(() => {}); // Redis down: the heartbeat expires on its own
  }

  private get ttl(): number {
    return heartbeatTtlMs(this.o.heartbeatMs);
  }

  private async beat(): Promise<void> {
    const { redis, nodeId, health } = this.o;
    try {
      if (!this.firstBeatDone) {
        await this.o.beforeFirstBeat?.();
        this.firstBeatDone = true;
      }
      const now = this.now();
      const keys = [redisKeys.node(nodeId), redisKeys.nodes, redisKeys.nodeCalls(nodeId)];
      const args = [nodeId, String(this.ttl), JSON.stringify({ nodeId, startedAt: this.startedAt, at: now })];
      for (const s of this.local.all()) {
        keys.push(redisKeys.callOwner(s.callId));
        args.push(s.callId, JSON.stringify(this.snapshotOf(s, now)));
      }
      const previous = parseHeartbeat((await redis.eval(HEARTBEAT, keys.length, ...keys, ...args)) as string | null);
      // Before this run's first beat the key may be a previous run's; after it, it can only be ours.
      if (this.beaten && previous && previous.startedAt !== this.startedAt) this.o.onDuplicateNode?.(previous);
      this.beaten = true;
      health.ok();
    } catch (err) {
      health.fail('heartbeat', err);
    }
  }

  private snapshotOf(session: LiveSession, now: number): SessionSnapshot {
    return { ...session.snapshot(now), nodeId: this.o.nodeId };
  }

  private write(what: string, multi: { exec(): Promise<unknown> }): void {
    multi.exec().catch((err: unknown) => this.o.health.fail(what, err));
  }
}
