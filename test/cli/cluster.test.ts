import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { availableParallelism } from 'node:os';
import { clusterProblem, RestartBackoff, workerCount, workerNodeId } from '../../src/cli/cluster.js';
import { loadConfig } from '../../src/config/env.js';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { freePort } from '../helpers/gateway.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/test';

test('restart back-off: at once after a healthy run, then doubling up to the cap while the worker keeps dying', () => {
  const b = new RestartBackoff({ firstDelayMs: 1000, maxDelayMs: 8000, stableAfterMs: 60_000 });
  assert.deepEqual([5, 5, 5, 5, 5, 5].map((up) => b.next(up)), [0, 1000, 2000, 4000, 8000, 8000]);
  assert.equal(b.next(60_000), 0, 'a worker that ran a minute was healthy');
  assert.equal(b.next(10), 1000);
});

test('worker node ids: a suffix per worker and per restart, always a valid node id', () => {
  assert.equal(workerNodeId('box-41', 2, 0), 'box-41-w2');
  assert.equal(workerNodeId('box-41', 2, 3), 'box-41-w2.3');
  const long = workerNodeId('x'.repeat(64), 12, 105);
  assert.equal(long.length, 64);
  assert.match(long, /^x+-w12\.105$/);
  assert.ok(loadConfig({ NODE_ID: long }).nodeId === long, 'the config accepts it');
});

test('WORKERS: 1 by default, "auto" is one per core, nonsense is refused naming the variable', () => {
  assert.equal(workerCount(loadConfig({}).workers), 1);
  assert.equal(workerCount(loadConfig({ WORKERS: 'auto' }).workers), availableParallelism());
  assert.equal(workerCount(loadConfig({ WORKERS: '3' }).workers), 3);
  assert.throws(() => loadConfig({ WORKERS: '0' }), /WORKERS: must be an integer from 1 to 64 or "auto"/);
  assert.equal(clusterProblem(1, {}), undefined, 'one worker needs nothing shared');
  assert.equal(clusterProblem(2, { redisUrl: 'redis://r', databaseUrl: 'postgres://p/db' }), undefined);
  assert.match(clusterProblem(2, { redisUrl: 'redis://r' })!, /set DATABASE_URL=postgres:\/\//);
});

test('--workers 2 without REDIS_URL stops start-up with one line saying what to set', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'exovoice-cluster-'));
  try {
    const srv = startServerProcess({ PORT: String(await freePort()), DATA_DIR: join(cwd, 'data') }, { cwd, args: ['--workers', '2'] });
    assert.equal(await srv.exited, 1);
    const lines = srv.output().trim().split('\n');
    assert.equal(lines.length, 1, srv.output());
    assert.match(lines[0]!, /^exovoice: WORKERS=2 .*set REDIS_URL=redis:\/\/.* and DATABASE_URL=postgres:\/\/.*, or run one worker$/);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

interface LogLine {
  msg: string;
  worker?: number;
  pid?: number;
  nodeId?: string;
  [k: string]: unknown;
}

function logLines(srv: ServerProcess): LogLine[] {
  return srv
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

async function until<T>(what: string, srv: ServerProcess, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server output:\n${srv.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET on a fresh connection each time, so the primary hands each one to the next worker. */
function getFresh(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Node ids that answer /metrics on the shared port, over `tries` fresh connections. */
async function answeringNodes(port: number, tries = 12): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const { body } = await getFresh(port, '/metrics');
    const m = /exovoice_node_info\{node_id="([^"]+)"\} 1/.exec(body);
    if (m) seen.add(m[1]!);
  }
  return seen;
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `exovoice_cluster_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN} (${err.message}): start it (e.g. service postgresql start) with trust auth for user postgres`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:5432/${name}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

test('serve --workers 2: both workers answer on one port, a killed worker is restarted, SIGTERM drains all and exits 0', { timeout: 300_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'exovoice-cluster-'));
  const redis = await startTestRedis();
  const db = await createDatabase();
  const port = await freePort();
  const srv = startServerProcess(
    {
      PORT: String(port),
      DATA_DIR: join(cwd, 'data'),
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      NODE_ID: 'box',
      DEFAULT_AGENT: 'echo',
      DRAIN_TIMEOUT_MS: '20000',
      LOG_FORMAT: 'json',
    },
    { cwd, args: ['--workers', '2'] },
  );
  try {
    await srv.listening;
    const listening = () => logLines(srv).filter((l) => l.msg === 'worker listening');
    const first = await until('both workers listening', srv, () => (listening().length >= 2 ? listening() : undefined));
    assert.deepEqual(first.map((l) => l.nodeId).sort(), ['box-w1', 'box-w2']);
    assert.notEqual(first[0]!.pid, first[1]!.pid);

    await until('both workers answering /metrics', srv, async () => {
      const seen = await answeringNodes(port);
      return seen.has('box-w1') && seen.has('box-w2') ? seen : undefined;
    });

    const victim = first.find((l) => l.nodeId === 'box-w1')!;
    process.kill(victim.pid!, 'SIGKILL');
    const died = await until('the restart line', srv, () => logLines(srv).find((l) => l.msg === 'worker died: restarting it'));
    assert.equal(died.worker, 1);
    assert.equal(died.signal, 'SIGKILL');
    const again = await until('worker 1 listening again', srv, () => listening().find((l) => l.nodeId === 'box-w1.1'));
    assert.notEqual(again.pid, victim.pid);
    await until('the restarted worker answering', srv, async () => ((await answeringNodes(port)).has('box-w1.1') ? true : undefined));

    // A live call holds one worker in its drain until the caller hangs up.
    const { url } = JSON.parse((await getFresh(port, '/voicebot/connect?CallSid=cluster1')).body) as { url: string };
    const call = await ExotelSocket.open(url);
    call.start({ callSid: 'cluster1' });
    srv.child.kill('SIGTERM');
    await until('the primary draining', srv, () => logLines(srv).find((l) => l.msg === 'draining the workers'));
    const stopped = () => logLines(srv).filter((l) => l.msg === 'worker stopped');
    await until('the idle worker stopped', srv, () => (stopped().length >= 1 ? true : undefined));
    assert.equal(srv.child.exitCode, null, 'the primary waits for the worker that holds the call');
    call.stop();
    await call.closed;
    assert.equal(await srv.exited, 0, srv.output());
    assert.equal(stopped().length, 2);
    assert.ok(stopped().every((l) => l.code === 0));
  } finally {
    srv.child.kill('SIGKILL');
    await redis.stop();
    await db.drop();
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('a worker that cannot start stops the primary with exit 1 instead of restarting it forever', { timeout: 120_000 }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'exovoice-cluster-'));
  try {
    const srv = startServerProcess(
      {
        PORT: String(await freePort()),
        DATA_DIR: join(cwd, 'data'),
        // Nothing listens on port 1; and the default agent is refused by every worker at start-up (the primary
        // reads only the environment, not the agents), whether or not the stores get that far.
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        DEFAULT_AGENT: 'no-such-agent',
        LOG_FORMAT: 'json',
      },
      { cwd, args: ['--workers', '2'] },
    );
    assert.equal(await srv.exited, 1);
    assert.ok(logLines(srv).some((l) => l.msg === 'worker failed to start: stopping the other workers'), srv.output());
    assert.ok(!logLines(srv).some((l) => l.msg === 'worker died: restarting it'), srv.output());
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
