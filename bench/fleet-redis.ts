// Redis cost of fleet mode per live call: one node heartbeating N calls to a private redis-server, measured by the
// server's own counters (INFO stats/commandstats) over a number of heartbeats; plus a sessions list read by another
// node. Prints one JSON object. Usage: node --import tsx bench/fleet-redis.ts [--calls 500 --beats 20]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { Redis } from 'ioredis';
import { openRedis } from '../src/fleet/redis-connection.js';
import { RedisHealth } from '../src/fleet/redis-health.js';
import { RedisSessionRegistry } from '../src/fleet/redis-session-registry.js';
import { StubSession } from '../test/helpers/live-session-stub.js';
import { startTestRedis } from '../test/helpers/redis-server.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '500' }, beats: { type: 'string', default: '20' } } });
const CALLS = Number(args.calls);
const BEATS = Number(args.beats);
const silent = pino({ level: 'silent' });

/** Redis's counters: operations (a script's own calls included), scripts run (the heartbeat is one), bytes. */
async function stats(raw: Redis): Promise<{ commands: number; evals: number; inBytes: number; outBytes: number }> {
  const info = await raw.info('all');
  const field = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? NaN);
  const evals = Number(/^cmdstat_eval:calls=(\d+)/m.exec(info)?.[1] ?? 0);
  return { commands: field('total_commands_processed'), evals, inBytes: field('total_net_input_bytes'), outBytes: field('total_net_output_bytes') };
}

const server = await startTestRedis();
const raw = new Redis(server.url);
const nodes = await Promise.all(
  ['node-a', 'node-b'].map(async (nodeId) => {
    const redis = openRedis(server.url, nodeId);
    await redis.connect();
    return { redis, registry: new RedisSessionRegistry({ redis, nodeId, heartbeatMs: 3000, health: new RedisHealth(nodeId, silent) }) };
  }),
);
const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
const memoryBefore = await usedMemory();
for (let i = 0; i < CALLS; i++) a.registry.add(new StubSession(`b6cfaf5f5cef3ca0fc937749ef96${String(i).padStart(4, '0')}`));
await a.registry.heartbeat();

const before = await stats(raw);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < BEATS; i++) await a.registry.heartbeat();
const cpu = process.cpuUsage(cpu0);
const beatMs = (performance.now() - t0) / BEATS;
const afterBeats = await stats(raw);
await b.registry.list();
const afterList = await stats(raw);
const memory = (await usedMemory()) - memoryBefore;
// INFO itself counts as one command between samples.
const perBeat = {
  requests: (afterBeats.evals - before.evals) / BEATS,
  ops: (afterBeats.commands - before.commands - 1) / BEATS,
  inBytes: (afterBeats.inBytes - before.inBytes) / BEATS,
};
console.log(
  JSON.stringify(
    {
      calls: CALLS,
      heartbeat: { requestsPerBeat: perBeat.requests, redisOpsPerBeat: perBeat.ops, bytesPerBeat: Math.round(perBeat.inBytes), bytesPerCallPerBeat: Math.round(perBeat.inBytes / CALLS), wallMsPerBeat: Number(beatMs.toFixed(2)), nodeCpuMsPerBeat: Number(((cpu.user + cpu.system) / 1000 / BEATS).toFixed(2)) },
      sessionsList: { redisOps: afterList.commands - afterBeats.commands - 1, bytesOut: afterList.outBytes - afterBeats.outBytes },
      redisMemoryBytesPerCall: Math.round(memory / CALLS),
    },
    null,
    2,
  ),
);
for (const n of nodes) n.redis.disconnect();
raw.disconnect();
await server.stop();
