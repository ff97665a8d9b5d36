import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { openRedis } from '../../src/fleet/redis-connection.js';
import { RedisHealth } from '../../src/fleet/redis-health.js';
import { freePort } from './gateway.js';

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGKILL: no goodbye to clients, as a crash or a network cut looks). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  restart(): Promise<void>;
}

const HOW_TO = 'these tests start their own redis-server on a free port: install it (apt-get install redis-server) so that `redis-server` is on PATH';

/** A private redis-server on a free loopback port, without persistence, that a test may stop and restart. */
export async function startTestRedis(): Promise<TestRedis> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(`redis-server not found: ${HOW_TO}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!(await ping(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start: ${HOW_TO}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, stop, restart: launch };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      resolve(d.toString().startsWith('+PONG'));
      socket.end();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/** One node's connection to the test Redis, with the fleet's settings, and its Redis health (logging nothing). */
export async function redisNode(url: string, nodeId: string): Promise<{ nodeId: string; redis: Redis; health: RedisHealth }> {
  const redis = openRedis(url, nodeId);
  await redis.connect();
  return { nodeId, redis, health: new RedisHealth(nodeId, pino({ level: 'silent' })) };
}
