import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { SessionSnapshot } from '../../src/call/session-registry.js';
import { eventually } from '../helpers/eventually.js';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { startFleetGateway } from '../helpers/fleet-gateway.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const H = 500;
/** The figure: Redis restarting or unreachable for 30 s never drops a live call. */
const OUTAGE_MS = 30_000;

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

test('Redis down for 30 s then restarted empty under a live call: the call never drops, /ready says degraded, one log line each way, all re-registered', { timeout: 120_000 }, async (t) => {
  const redis = await startTestRedis();
  const logLines: Array<{ msg: string; nodeId?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as { msg: string }) });
  const agentB = new ScriptedAgent('scripted');
  const a = await startFleetGateway({ redisUrl: redis.url, nodeId: 'node-a', heartbeatMs: H, agents: [new ScriptedAgent('scripted')] });
  const b = await startFleetGateway({ redisUrl: redis.url, nodeId: 'node-b', heartbeatMs: H, agents: [agentB], logger });
  let media: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(media);
    await a.close();
    await b.close();
    await redis.stop();
  });

  const ws = await ExotelSocket.open(`${b.wsBase}/voicebot/ws?call_id=call-r1`);
  const started = agentB.nextCall();
  ws.start({ callSid: 'call-r1' });
  const call = await started;
  let seq = 2;
  media = setInterval(() => ws.media(new Int16Array(160).fill(1000), seq++), 20);
  let closed = false;
  void ws.closed.then(() => (closed = true));
  const listedOnA = (n: number) => eventually(() => get<{ sessions: SessionSnapshot[] }>(`${a.base}/voicebot/sessions`), (r) => r.body.sessions.length === n, 15_000, `A to list ${n} call(s)`);
  assert.equal((await listedOnA(1)).body.sessions[0]!.nodeId, 'node-b');

  await redis.stop();
  const down = await eventually(() => get<Record<string, any>>(`${b.base}/ready`), (r) => r.body.status === 'degraded', 10_000, '/ready to say degraded');
  assert.equal(down.status, 200, 'degraded, still in rotation: calls work');
  assert.equal(down.body.fleet.status, 'degraded');
  assert.match(down.body.fleet.reason, /redis unreachable/);
  // Node-local meanwhile: B still lists its own call.
  assert.deepEqual((await get<{ sessions: SessionSnapshot[] }>(`${b.base}/voicebot/sessions`)).body.sessions.map((s) => s.callId), ['call-r1']);
  const samplesAtOutage = call.samples;
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  assert.equal(closed, false, 'the call is still up after 30 s without Redis');
  assert.deepEqual(call.ends, []);
  assert.ok(call.samples > samplesAtOutage + 8000 * 20, `caller audio kept flowing: ${call.samples - samplesAtOutage} samples`);

  // Back, empty (no persistence): B re-registers its call and A sees it again.
  await redis.restart();
  assert.equal((await listedOnA(1)).body.sessions[0]!.callId, 'call-r1');
  await eventually(() => get<Record<string, any>>(`${b.base}/ready`), (r) => r.body.status === 'ok', 15_000, '/ready to be ok again');
  assert.equal(closed, false);
  const fleetLines = logLines.filter((l) => /^Redis (unreachable|reachable again)/.test(l.msg)).map((l) => l.msg.split(':')[0]);
  assert.deepEqual(fleetLines, ['Redis unreachable', 'Redis reachable again'], 'one line when it went, one when it came back');

  ws.stop();
  await ws.closed;
  await listedOnA(0);
});
