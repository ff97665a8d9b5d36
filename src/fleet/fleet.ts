// Fleet mode (REDIS_URL set): the parts a node needs to run as one of many behind a load balancer, assembled.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ControlBus, LocalControlBus } from '../call/live-control.js';
import type { DialLimiter } from '../call/rate-limiter.js';
import type { Config } from '../config/env.js';
import { maskUrl } from '../observability/redact.js';
import type { CallStore } from '../store/call-store.js';
import { DeadNodeSweeper } from './dead-node-sweeper.js';
import { Lease } from './lease.js';
import { RedisCallDetailsStore } from './redis-call-details.js';
import { RedisControlBus } from './redis-control-bus.js';
import { connectRedis, openRedis } from './redis-connection.js';
import { RedisDialLimiter } from './redis-dial-limiter.js';
import { RedisHealth, type FleetHealth } from './redis-health.js';
import { heartbeatTtlMs, RedisSessionRegistry } from './redis-session-registry.js';

export interface FleetOptions {
  config: Pick<Config, 'redisUrl' | 'nodeId' | 'heartbeatMs'> & { exotel: Pick<Config['exotel'], 'callsPerMinute'> };
  logger: Logger;
  /** The call records, where a lost node's calls are closed. */
  store?: CallStore;
}

export interface Fleet {
  readonly nodeId: string;
  /** The node's command connection (shared settings: short time-outs, no offline queue). */
  readonly redis: Redis;
  /**
   * A new connection with the same settings, e.g. for pub/sub, which needs a connection of its own. Not yet connected
   * (`connect()` it; it reconnects by itself afterwards); its errors count in this node's Redis health; closed with the
   * fleet.
   */
  createConnection(name: string): Redis;
  readonly registry: RedisSessionRegistry;
  readonly details: RedisCallDetailsStore;
  readonly dialLimiter: DialLimiter;
  readonly leases: { readonly statusRefresh: Lease; readonly nodeSweeper: Lease };
  /** Whether this node runs the status refresher now. */
  holdsStatusRefresh(): boolean;
  /** For `/ready`: degraded while Redis fails. */
  health(): FleetHealth;
  /**
   * The live-control bus over the fleet: this node's calls through `local`, others' forwarded to their owner. Listens
   * on a connection of its own from the moment it is made; stopped by close().
   */
  controlBus(local: LocalControlBus): ControlBus;
  /** Stops heartbeating, releases the leases, leaves the fleet (when no call is left) and closes the connections. */
  close(): Promise<void>;
}

/**
 * Connects to Redis (a node whose Redis is down still starts, degraded and node-local, and joins when it is back),
 * starts heartbeating this node's calls and ticking the leases: every quarter period each lease is renewed and the
 * holder of the sweeper's sweeps, so a dead node's calls close within 1.5 periods (its TTL) + 0.25 (the sweep).
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const { config, store } = options;
  if (!config.redisUrl) throw new Error('startFleet needs REDIS_URL');
  const url = config.redisUrl;
  const { nodeId, heartbeatMs } = config;
  const log = options.logger.child({ component: 'fleet', nodeId });
  const health = new RedisHealth(nodeId, log);
  const connections: Redis[] = [];
  const controlBuses: RedisControlBus[] = [];
  const createConnection = (name: string): Redis => {
    const client = openRedis(url, `exovoice:${nodeId}:${name}`);
    // ioredis prints unhandled 'error' events to the console; they are counted in the episode instead.
    client.on('error', (err: Error) => health.fail(`connection ${name}`, err));
    connections.push(client);
    return client;
  };
  const redis = createConnection('main');
  if (!(await connectRedis(redis))) health.fail('connect', new Error(`cannot reach ${maskUrl(url)}`));

  const ttl = heartbeatTtlMs(heartbeatMs);
  let duplicateLoggedAt = -Infinity;
  const leases = { statusRefresh: new Lease(redis, 'status-refresh', nodeId, ttl, health), nodeSweeper: new Lease(redis, 'node-sweeper', nodeId, ttl, health) };
  const sweeper = new DeadNodeSweeper({ redis, nodeId, store, lease: leases.nodeSweeper, health, log });
  const registry: RedisSessionRegistry = new RedisSessionRegistry({
    redis,
    nodeId,
    heartbeatMs,
    health,
    beforeFirstBeat: async () => {
      const closed = await sweeper.closePreviousRun((callId) => registry.get(callId) !== undefined);
      if (closed > 0) log.warn({ calls: closed }, 'closed call records a previous run of this node left open');
    },
    onDuplicateNode: (other) => {
      if (Date.now() - duplicateLoggedAt < 60_000) return;
      duplicateLoggedAt = Date.now();
      log.error({ otherStartedAt: new Date(other.startedAt).toISOString() }, 'another process heartbeats under this NODE_ID: give every node its own');
    },
  });
  const details = new RedisCallDetailsStore(redis, health);
  const dialLimiter = new RedisDialLimiter(redis, config.exotel.callsPerMinute, health);

  // Reconnected: re-register at once rather than at the next period.
  redis.on('ready', () => void registry.heartbeat());
  registry.start();
  let ticking: Promise<unknown> | undefined;
  const tick = () => {
    ticking ??= Promise.all([leases.statusRefresh.renew(), leases.nodeSweeper.renew()])
      .then(() => sweeper.sweep())
      .finally(() => (ticking = undefined));
  };
  tick();
  const timer = setInterval(tick, Math.max(50, Math.floor(heartbeatMs / 4)));
  timer.unref();
  log.info({ redis: maskUrl(url), heartbeatMs }, 'fleet node started');

  return {
    nodeId,
    redis,
    createConnection,
    registry,
    details,
    dialLimiter,
    leases,
    holdsStatusRefresh: () => leases.statusRefresh.held,
    health: () => health.health(),
    controlBus(local) {
      const bus = new RedisControlBus({ redis, subscriber: createConnection('control'), nodeId, local, log, faults: health });
      // A Redis that is down now is subscribed to once it is back (the bus retries on 'ready').
      void bus.start();
      controlBuses.push(bus);
      return bus;
    },
    async close() {
      clearInterval(timer);
      await Promise.all(controlBuses.map((b) => b.close()));
      await ticking;
      await registry.close();
      await Promise.all([leases.statusRefresh.release(), leases.nodeSweeper.release()]);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
