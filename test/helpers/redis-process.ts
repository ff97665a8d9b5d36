import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './gateway.js';

export interface RedisProcess {
  child: ChildProcess;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A throw-away `redis-server` on a free loopback port, no persistence; fails saying how to get one. */
export async function startRedisProcess(): Promise<RedisProcess> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message}): install Redis (apt-get install redis-server) so it is on PATH`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before accepting connections: ${out}`)));
  });
  failed.catch(() => {});
  const deadline = Date.now() + 20_000;
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  const up = (async () => {
    while (!(await accepts())) {
      if (Date.now() > deadline) throw new Error(`redis-server did not accept connections on ${port} within 20 s: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  await Promise.race([up, failed]);
  return {
    child,
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
