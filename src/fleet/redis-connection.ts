// How every fleet connection to Redis is opened. Redis is never on the media path, but it must never hold up
// anything either: a command that cannot be answered quickly fails quickly, and the caller degrades to node-local.
import { Redis, type RedisOptions } from 'ioredis';

/** A Redis on the same network answers in about a millisecond; half a second without an answer is an outage. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;

export function redisOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
    // While disconnected a command fails at once instead of queueing: a 30 s outage would otherwise pile up
    // thousands of stale heartbeats and replay them on reconnection; the next heartbeat carries the current state.
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails at once rather than being resent later, for the same reason.
    maxRetriesPerRequest: 0,
    // Reconnect forever, backing off to one attempt every 2 s.
    retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    lazyConnect: true,
  };
}

/** A client for `url`; not yet connected (see `connectRedis`). */
export function openRedis(url: string, connectionName: string): Redis {
  return new Redis(url, redisOptions(connectionName));
}

/**
 * Connects, waiting at most `timeoutMs`: a node whose Redis is down at start-up still starts (node-local, degraded)
 * and the client keeps reconnecting in the background.
 */
export async function connectRedis(client: Redis, timeoutMs = 3000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([client.connect().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
