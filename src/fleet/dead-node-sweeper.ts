import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { NODE_ID_PATTERN } from '../config/env.js';
import { isValidId } from '../exotel/identifiers.js';
import type { CallStore } from '../store/call-store.js';
import type { Lease } from './lease.js';
import type { RedisHealth } from './redis-health.js';
import { redisKeys } from './redis-keys.js';
import { DELETE_IF_OWNER } from './redis-session-registry.js';

/**
 * Claims a node that stopped heartbeating, atomically: nothing if its heartbeat key still exists, else it leaves the
 * node set and its calls' hash is returned and deleted. A node that heartbeats at the same moment is either seen
 * alive or claimed whole, and only one sweeper ever gets a node's calls.
 */
const CLAIM_DEAD_NODE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return false end
local calls = redis.call('HGETALL', KEYS[3])
redis.call('DEL', KEYS[3])
return calls
`;

/** Claims this node's own hash left by a previous run under the same NODE_ID (a container restarted with its name). */
const CLAIM_PREVIOUS_RUN = `
local calls = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return calls
`;

export interface DeadNodeSweeperOptions {
  redis: Redis;
  nodeId: string;
  /** Where the lost calls' records are closed; without one only Redis is cleaned. */
  store?: CallStore;
  lease: Lease;
  health: RedisHealth;
  log: Logger;
  now?: () => number;
}

/**
 * Point 4 of the fleet: the calls of a node that stopped heartbeating are marked ended (`endReason: node-lost`,
 * inbound ones `completed`; an event names the node) and leave the sessions list. Runs on the lease holder only.
 */
export class DeadNodeSweeper {
  private running?: Promise<number>;

  constructor(private readonly o: DeadNodeSweeperOptions) {}

  /** One pass over the fleet's nodes; returns how many call records were closed. One pass at a time; never throws. */
  sweep(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Closes the calls a previous run of this node left in Redis (it died holding them). `isLive` spares the calls this
   * run already took (Redis was down at start-up and they were written before the first heartbeat landed).
   */
  async closePreviousRun(isLive: (callId: string) => boolean): Promise<number> {
    const { redis, nodeId } = this.o;
    const entries = pairs(await redis.eval(CLAIM_PREVIOUS_RUN, 1, redisKeys.nodeCalls(nodeId)));
    return this.closeClaimed(nodeId, entries.filter(([id]) => !isLive(id)).flat(), 'a previous run of this node stopped while the call was live');
  }

  async stop(): Promise<void> {
    await this.running;
  }

  private async pass(): Promise<number> {
    const { redis, nodeId, lease, health } = this.o;
    if (!lease.held) return 0;
    let closed = 0;
    try {
      for (const id of await redis.smembers(redisKeys.nodes)) {
        if (id === nodeId) continue;
        if (!NODE_ID_PATTERN.test(id)) {
          await redis.srem(redisKeys.nodes, id);
          continue;
        }
        // Checked again for each node: a pass can outlast the lease when the store is slow.
        if (!lease.held) break;
        const entries = (await redis.eval(CLAIM_DEAD_NODE, 3, redisKeys.node(id), redisKeys.nodes, redisKeys.nodeCalls(id), id)) as unknown;
        if (entries === null) continue;
        closed += await this.closeClaimed(id, entries, 'the node holding the call stopped heartbeating');
      }
    } catch (err) {
      health.fail('dead-node sweep', err);
    }
    return closed;
  }

  private async closeClaimed(lostNode: string, entries: unknown, reason: string): Promise<number> {
    const { redis, log } = this.o;
    const calls = pairs(entries).filter(([id]) => isValidId('callId', id));
    if (calls.length === 0) return 0;
    const owners = redis.multi();
    for (const [callId] of calls) owners.eval(DELETE_IF_OWNER, 1, redisKeys.callOwner(callId), lostNode);
    await owners.exec().catch(() => {}); // the owner keys expire on their own
    let closed = 0;
    const retry: string[] = [];
    for (const [callId, snapshot] of calls) {
      const outcome = await this.closeRecord(callId, lostNode, reason);
      if (outcome === 'closed') closed++;
      if (outcome === 'failed') retry.push(callId, snapshot);
    }
    await this.o.store?.flush().catch((err: unknown) => log.warn({ err }, 'could not flush the lost calls\' records'));
    // The store could not be read (a database outage): hand those calls back, so a later sweep closes them.
    if (retry.length > 0) await redis.multi().hset(redisKeys.nodeCalls(lostNode), ...retry).sadd(redisKeys.nodes, lostNode).exec().catch(() => {});
    log.warn({ lostNode, calls: calls.length, closed, retrying: retry.length / 2 }, 'closed the calls of a node that stopped heartbeating');
    return closed;
  }

  private async closeRecord(callId: string, lostNode: string, reason: string): Promise<'closed' | 'skipped' | 'failed'> {
    const { store, log } = this.o;
    if (!store) return 'skipped';
    try {
      const record = await store.get(callId);
      if (!record || record.endedAt !== null) return 'skipped';
      const now = (this.o.now ?? Date.now)();
      store.appendEvent(record.id, { type: 'node-lost', at: now, data: { nodeId: lostNode, reason } });
      // An outbound call's status is Exotel's to settle (status callback or refresher); an inbound one is over.
      store.update(record.id, { endedAt: now, endReason: 'node-lost', ...(record.direction === 'inbound' ? { status: 'completed' as const } : {}) });
      return 'closed';
    } catch (err) {
      log.error({ err, callId, lostNode }, 'could not close the record of a call whose node was lost');
      return 'failed';
    }
  }
}

/** HGETALL's answer through EVAL is a flat [field, value, ...] list: call ids and their snapshots. */
function pairs(entries: unknown): Array<[string, string]> {
  if (!Array.isArray(entries)) return [];
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    const [id, snapshot] = [entries[i], entries[i + 1]];
    if (typeof id === 'string' && typeof snapshot === 'string') out.push([id, snapshot]);
  }
  return out;
}
