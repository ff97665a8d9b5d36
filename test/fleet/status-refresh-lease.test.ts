import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { StatusRefresher } from '../../src/call/status-refresher.js';
import { ExotelRestClient } from '../../src/exotel/rest-client.js';
import { startFleet, type Fleet } from '../../src/fleet/fleet.js';
import { openPostgresCallStore, type PostgresCallStore } from '../../src/store/postgres-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startTestRedis } from '../helpers/redis-server.js';

// Long enough that a busy machine's event-loop stalls do not pass the lease around mid-test.
const H = 1000;
const silent = pino({ level: 'silent' });

// Each node's refresher remembers what it asked, and reads the fleet's database through its own connection; only
// the lease keeps the second node from asking again.
test('status refreshing runs on the lease holder only: a stale call is asked about once by two nodes, and again only after the holder leaves', async (t) => {
  const redis = await startTestRedis();
  const db = await createTestDatabase();
  const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'k', apiToken: 'tok-123456' });
  await exotel.start();
  const rest = new ExotelRestClient({ apiKey: 'k', apiToken: 'tok-123456', accountSid: 'acct1', subdomain: 'x', baseUrl: exotel.baseUrl });
  const later = () => Date.now() + 10 * 60_000;
  const nodes: Array<{ fleet: Fleet; refresher: StatusRefresher; store: PostgresCallStore }> = [];
  for (const nodeId of ['node-a', 'node-b']) {
    const store = await openPostgresCallStore({ connectionString: db.url, poolSize: 3, flushIntervalMs: 20 });
    const fleet = await startFleet({ config: { redisUrl: redis.url, nodeId, heartbeatMs: H, exotel: { callsPerMinute: 60 } }, logger: silent, store });
    const refresher = new StatusRefresher({ store, rest, log: silent, now: later, isLeader: () => fleet.holdsStatusRefresh() });
    nodes.push({ fleet, refresher, store });
  }
  t.after(async () => {
    for (const n of nodes) {
      await n.refresher.stop();
      await n.fleet.close();
      await n.store.close();
    }
    await exotel.close();
    await redis.stop();
    await db.drop();
  });

  const placed = await rest.connectCall({ mode: 'flow', appId: '1', from: '9876543210', callerId: '08047491899' });
  await nodes[0]!.store.create({ direction: 'outbound', to: '+919876543210', status: 'dialing', callSid: placed.Sid });
  const asked = () => exotel.requests.filter((r) => r.path.includes(`/Calls/${placed.Sid}.json`)).length;
  await eventually(async () => nodes.filter((n) => n.fleet.holdsStatusRefresh()).length, (held) => held === 1, 10_000, 'one node to hold the lease');

  for (let i = 0; i < 5; i++) await Promise.all(nodes.map((n) => n.refresher.sweep()));
  assert.equal(asked(), 1, 'asked once by the fleet, not once per node');

  // The holder shuts down (its lease released): the other node takes over on its next tick.
  const holder = nodes.find((n) => n.fleet.holdsStatusRefresh())!;
  const other = nodes.find((n) => n !== holder)!;
  await holder.refresher.stop();
  await holder.fleet.close();
  await holder.store.close();
  nodes.splice(nodes.indexOf(holder), 1);
  await eventually(async () => other.fleet.holdsStatusRefresh(), (held) => held, 10_000, 'the other node to take the lease');
  assert.equal(await other.refresher.sweep(), 1);
  assert.equal(asked(), 2);
});
