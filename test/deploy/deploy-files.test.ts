import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { clusterProblem } from '../../src/cli/cluster.js';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/env.js';
import { PROVIDER_VARIABLES } from '../../src/config/providers.js';
import { freePort, startGateway } from '../helpers/gateway.js';

/**
 * The deploy files, checked without Docker or Render (the machine has neither a Docker daemon nor the compose
 * plugin): each parses, names only variables the gateway reads, wires what it declares, and the image's
 * HEALTHCHECK command really tells a live server from a dead one.
 */

const KNOWN_VARIABLES = new Set([...CONFIG_VARIABLES, ...PROVIDER_VARIABLES]);
const run = promisify(execFile);

interface Stage {
  from: string;
  lines: string[];
}

function dockerStages(): Stage[] {
  const text = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    if (/^FROM\s/i.test(line)) stages.push({ from: line, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

test('Dockerfile: multi-stage, production dependencies only, non-root, copies what exists and .dockerignore keeps', () => {
  const stages = dockerStages();
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const [build, runtime] = [stages[0]!, stages.at(-1)!];
  assert.ok(build.lines.some((l) => /^RUN .*npm ci --omit=dev/.test(l)), 'npm ci --omit=dev in the build stage');
  assert.ok(build.lines.some((l) => /apt-get install .*python3.*make.*g\+\+/.test(l)), 'a toolchain for better-sqlite3');
  const user = runtime.lines.filter((l) => /^USER\s/.test(l)).at(-1);
  assert.ok(user && !/^USER\s+(root|0)\b/.test(user), `runs as a non-root user (${user})`);
  assert.ok(runtime.lines.some((l) => /^COPY --from=/.test(l)), 'node_modules come from the build stage');
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const l of stages.flatMap((s) => s.lines).filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))) {
    for (const source of l.split(/\s+/).slice(1, -1)) {
      assert.ok(existsSync(source), `${source} exists`);
      assert.ok(!ignored.includes(source), `${source} is not in .dockerignore`);
    }
  }
  for (const needed of ['src', 'bin', 'agents', 'package.json', 'package-lock.json']) assert.ok(!ignored.includes(needed), needed);
  // tsx runs the sources in the image: it must survive --omit=dev.
  assert.ok(JSON.parse(readFileSync('package.json', 'utf8')).dependencies.tsx, 'tsx is a runtime dependency');
});

test('Dockerfile HEALTHCHECK: its command exits 0 against a live server on PORT and 1 when nothing answers', async () => {
  const line = dockerStages().at(-1)!.lines.find((l) => /^HEALTHCHECK\s/.test(l));
  assert.ok(line, 'a HEALTHCHECK');
  const cmd = JSON.parse(line.slice(line.indexOf('CMD') + 3).trim()) as string[];
  assert.equal(cmd[0], 'node', 'uses a tool the node image has');
  assert.match(cmd.join(' '), /\/health/);
  const gw = await startGateway();
  try {
    const port = new URL(gw.base).port;
    const ok = await run(process.execPath, cmd.slice(1), { env: { ...process.env, PORT: port } }).then(() => 0, (e: { code: number }) => e.code);
    assert.equal(ok, 0);
  } finally {
    await gw.close();
  }
  const dead = String(await freePort());
  const down = await run(process.execPath, cmd.slice(1), { env: { ...process.env, PORT: dead } }).then(() => 0, (e: { code: number }) => e.code);
  assert.equal(down, 1);
});

/** Compose's `${VAR:-default}` / `${VAR:?message}` with the variables unset: the default, or a stand-in. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, name: string, def?: string) => def ?? `${name.toLowerCase()}-value`);
}

test('compose.yaml: two Exovoice nodes sharing Redis and Postgres behind Caddy, with a configuration the nodes accept', () => {
  const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as {
    services: Record<string, { image?: string; environment?: Record<string, string>; stop_grace_period?: string; command?: string[]; volumes?: string[] }>;
  };
  const nodes = Object.entries(compose.services).filter(([, s]) => s.environment?.REDIS_URL !== undefined);
  assert.equal(nodes.length, 2, 'two nodes');
  const ids = new Set<string>();
  for (const [name, s] of nodes) {
    const env = Object.fromEntries(Object.entries(s.environment!).map(([k, v]) => [k, interpolate(String(v))]));
    for (const key of Object.keys(env)) assert.ok(KNOWN_VARIABLES.has(key), `${name}: ${key} is a variable the gateway reads`);
    const config = loadConfig(env);
    ids.add(config.nodeId);
    assert.equal(clusterProblem(2, config), undefined, `${name} may run several workers`);
    assert.match(config.redisUrl!, /^redis:\/\/redis:/);
    assert.match(config.databaseUrl!, /@postgres:5432\//);
    assert.ok(parseInt(s.stop_grace_period!, 10) * 1000 > config.drainTimeoutMs, `${name}: Docker waits longer than the drain`);
  }
  assert.equal(ids.size, 2, 'distinct node ids');
  assert.ok(compose.services.redis?.command?.includes('noeviction'));
  assert.match(compose.services.postgres?.image ?? '', /^postgres:/);
  const caddy = compose.services.caddy!;
  const mount = caddy.volumes!.find((v) => v.endsWith(':/etc/caddy/Caddyfile:ro'))!;
  const caddyfile = readFileSync(mount.split(':')[0]!, 'utf8');
  const upstreams = /^\s*reverse_proxy\s+([^{\n]+)\{/m.exec(caddyfile)![1]!.trim().split(/\s+/);
  assert.deepEqual(upstreams.sort(), nodes.map(([name]) => `${name}:8080`).sort(), 'Caddy balances over exactly the nodes');
  assert.match(caddyfile, /health_uri \/ready/);
});

const ENV_SOURCES = ['value', 'generateValue', 'sync', 'fromDatabase', 'fromService', 'fromGroup'];

test('render.yaml: a Docker web service with Key Value and Postgres, in the Blueprint fields Render documents', () => {
  const bp = parse(readFileSync('render.yaml', 'utf8')) as {
    services: Array<Record<string, unknown> & { type: string; name: string; envVars?: Array<Record<string, unknown> & { key: string }> }>;
    databases: Array<{ name: string }>;
  };
  for (const key of Object.keys(bp)) assert.ok(['services', 'databases', 'envVarGroups', 'projects', 'ungrouped', 'previews'].includes(key), key);
  const web = bp.services.find((s) => s.type === 'web')!;
  const kv = bp.services.find((s) => s.type === 'keyvalue')!;
  assert.ok(web && kv && bp.databases.length === 1);
  const webFields = ['type', 'name', 'runtime', 'dockerfilePath', 'dockerContext', 'plan', 'region', 'numInstances', 'healthCheckPath', 'maxShutdownDelaySeconds', 'envVars', 'autoDeploy', 'branch', 'scaling'];
  for (const key of Object.keys(web)) assert.ok(webFields.includes(key), `web service field ${key}`);
  for (const key of Object.keys(kv)) assert.ok(['type', 'name', 'plan', 'region', 'ipAllowList', 'maxmemoryPolicy'].includes(key), `keyvalue field ${key}`);
  assert.equal(web.runtime, 'docker');
  assert.ok(existsSync(String(web.dockerfilePath)));
  assert.ok(Array.isArray(kv.ipAllowList), 'Key Value requires ipAllowList');
  assert.equal(web.healthCheckPath, '/ready');
  const env: Record<string, string> = {};
  for (const v of web.envVars!) {
    assert.ok(KNOWN_VARIABLES.has(v.key), `${v.key} is a variable the gateway reads`);
    const sources = Object.keys(v).filter((k) => k !== 'key');
    assert.equal(sources.length, 1, `${v.key}: exactly one source`);
    assert.ok(ENV_SOURCES.includes(sources[0]!), `${v.key}: ${sources[0]}`);
    if (v.fromService) assert.deepEqual(v.fromService, { type: 'keyvalue', name: kv.name, property: 'connectionString' });
    if (v.fromDatabase) assert.deepEqual(v.fromDatabase, { name: bp.databases[0]!.name, property: 'connectionString' });
    if (typeof v.value === 'string') env[v.key] = v.value;
  }
  // What Render fills in, as it does: connection strings, generated secrets, RENDER_EXTERNAL_URL.
  const config = loadConfig({
    ...env,
    REDIS_URL: 'redis://red-xyz:6379',
    DATABASE_URL: 'postgresql://exovoice:pw@dpg-xyz/exovoice',
    EXOTEL_WS_TOKEN: 'generated-by-render-0123456789',
    API_KEY: 'generated-by-render-0123456789',
    RENDER_EXTERNAL_URL: 'https://exovoice.onrender.com',
  });
  assert.equal(clusterProblem(2, config), undefined, 'one instance may run several workers');
  assert.ok(Number(web.maxShutdownDelaySeconds) * 1000 > config.drainTimeoutMs, 'Render waits longer than the drain');
});

test('malloc setting: npm start and the image run the server with the same MALLOC_MMAP_THRESHOLD_ (README, Reliability)', () => {
  const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
  const fromStart = /(?:^|\s)MALLOC_MMAP_THRESHOLD_=(\d+)\s+node bin\/exovoice\.js serve$/.exec(start)?.[1];
  assert.ok(fromStart, `npm start sets MALLOC_MMAP_THRESHOLD_ before node: ${start}`);
  const env = dockerStages().at(-1)!.lines.find((l) => /^ENV\s/i.test(l)) ?? '';
  assert.match(env, new RegExp(`\\bMALLOC_MMAP_THRESHOLD_=${fromStart}\\b`), 'the runtime image sets the same value');
  assert.match(readFileSync('test/helpers/server-process.ts', 'utf8'), new RegExp(`NPM_START_MMAP_THRESHOLD = '${fromStart}'`));
});
