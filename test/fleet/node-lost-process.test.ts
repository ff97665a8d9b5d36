import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionSnapshot } from '../../src/call/session-registry.js';
import type { CallRecord } from '../../src/store/call-store.js';
import { eventually } from '../helpers/eventually.js';
import { ExotelSocket } from '../helpers/exotel-socket.js';
import { freePort } from '../helpers/gateway.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { startServerProcess } from '../helpers/server-process.js';

const H = 1000;

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/** An inbound call as Exotel makes it: the webhook on `hookBase`, then the stream to `wsBase`, kept streaming. */
async function inboundCall(hookBase: string, wsBase: string, callSid: string) {
  assert.equal((await fetch(`${hookBase}/voicebot/connect?CallSid=${callSid}&CallFrom=09876543210&CallTo=08047491899&Direction=incoming`)).status, 200);
  const ws = await ExotelSocket.open(`${wsBase}/voicebot/ws?call_id=${callSid}`);
  ws.start({ callSid, streamSid: `stream-${callSid}` });
  let seq = 2;
  const media = setInterval(() => ws.media(new Int16Array(160), seq++), 100);
  ws.closed.finally(() => clearInterval(media));
  return { ws, stop: () => clearInterval(media) };
}

// Two `exovoice serve` processes sharing a Redis and a Postgres database (DATABASE_URL), each a fleet node.
test('kill -9 of node B: node A closes B\'s calls (node-lost) within 2 heartbeats and drops them from the list; a node starting closes no other node\'s call', async (t) => {
  const redis = await startTestRedis();
  const db = await createTestDatabase();
  const [portA, portB] = [await freePort(), await freePort()];
  const env = (nodeId: string, port: number) => ({
    PORT: String(port),
    REDIS_URL: redis.url,
    NODE_ID: nodeId,
    HEARTBEAT_MS: String(H),
    DATABASE_URL: db.url,
    DEFAULT_AGENT: 'echo',
    LOG_FORMAT: 'json',
  });
  const a = startServerProcess(env('node-a', portA), { maxOutputChars: 200_000 });
  const calls: Array<{ stop(): void; ws: ExotelSocket }> = [];
  let b: ReturnType<typeof startServerProcess> | undefined;
  t.after(async () => {
    for (const c of calls) c.stop();
    a.child.kill('SIGKILL');
    b?.child.kill('SIGKILL');
    await Promise.all([a.exited, b?.exited]);
    await redis.stop();
    await db.drop();
  });
  await a.listening;
  const baseA = `http://127.0.0.1:${portA}`;
  const baseB = `http://127.0.0.1:${portB}`;
  const record = (id: string) => json<CallRecord>(`${baseA}/calls/${id}`);

  calls.push(await inboundCall(baseA, `ws://127.0.0.1:${portA}`, 'call-on-a'));
  await eventually(() => record('call-on-a'), (r) => r.status === 'in-progress', 15_000, 'the call on A to start');

  // B starts while A holds a live call in the shared store: start-up must not close it as an orphan.
  b = startServerProcess(env('node-b', portB), { maxOutputChars: 200_000 });
  await b.listening;
  calls.push(await inboundCall(baseA, `ws://127.0.0.1:${portB}`, 'call-on-b'));
  const listed = await eventually(
    () => json<{ sessions: SessionSnapshot[] }>(`${baseA}/voicebot/sessions`),
    (l) => l.sessions.length === 2,
    15_000,
    'A to list both calls',
  );
  assert.deepEqual(listed.sessions.map((s) => `${s.callId}@${s.nodeId}`).sort(), ['call-on-a@node-a', 'call-on-b@node-b']);
  await eventually(() => record('call-on-b'), (r) => r.status === 'in-progress', 15_000, 'B to record its call');
  assert.equal((await record('call-on-a')).endedAt, null, 'B\'s start-up left A\'s live call alone');

  const killedAt = Date.now();
  b.child.kill('SIGKILL');
  assert.equal(await b.exited, null);
  const lost = await eventually(() => record('call-on-b'), (r) => r.endedAt !== null, 20_000, 'A to close B\'s call');
  const detectedMs = Date.now() - killedAt;
  assert.equal(lost.endReason, 'node-lost');
  assert.equal(lost.status, 'completed');
  const event = lost.events.find((e) => e.type === 'node-lost');
  assert.equal(event?.data.nodeId, 'node-b');
  console.log(JSON.stringify({ heartbeatMs: H, nodeLostDetectedMs: detectedMs }));
  // 2 periods, plus slack for a busy machine's process scheduling and this test's polling.
  assert.ok(detectedMs < 2 * H + 2000, `closed ${detectedMs} ms after the kill`);

  const after = await json<{ sessions: SessionSnapshot[] }>(`${baseA}/voicebot/sessions`);
  assert.deepEqual(after.sessions.map((s) => s.callId), ['call-on-a']);
  assert.equal((await record('call-on-a')).endedAt, null, 'A\'s own call goes on');
  assert.match(a.output(), /closed the calls of a node that stopped heartbeating/);
});
