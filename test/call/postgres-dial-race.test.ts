// Two nodes (two OutboundDialers, each with its own PostgresCallStore on one database) racing POST /call's
// dial() with the same callLogId, many at once, against one fake Exotel: Exotel is asked once per callLogId,
// and every request, on either node, answers with the same call record.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OutboundDialer, type DialResult } from '../../src/call/outbound-dialer.js';
import { SlidingWindowLimiter } from '../../src/call/rate-limiter.js';
import { loadConfig } from '../../src/config/env.js';
import { ExotelRestClient } from '../../src/exotel/rest-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { openPostgresCallStore, type PostgresCallStore } from '../../src/store/postgres-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

let db: TestDatabase;
const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'key1', apiToken: 'token-abcdef' });
const stores: PostgresCallStore[] = [];

before(async () => {
  db = await createTestDatabase();
  await exotel.start();
});
after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await exotel.close();
  await db?.drop();
});

async function node(url: string): Promise<OutboundDialer> {
  const config = loadConfig({
    WEBHOOK_BASE_URL: 'https://bot.example.com',
    EXOTEL_API_KEY: 'key1',
    EXOTEL_API_TOKEN: 'token-abcdef',
    EXOTEL_SID: 'acct1',
    EXOTEL_SUBDOMAIN: 'api.in.exotel.com',
    EXOTEL_API_BASE_URL: exotel.baseUrl,
    EXOTEL_CALLER_ID: '08047491899',
    EXOTEL_APP_ID: '123456',
  });
  const store = await openPostgresCallStore({ connectionString: url, poolSize: 5 });
  stores.push(store);
  const rest = new ExotelRestClient({ apiKey: 'key1', apiToken: 'token-abcdef', accountSid: 'acct1', subdomain: '', baseUrl: exotel.baseUrl });
  // The fleet-wide dial limit is the redis helper's; here every racing request must get as far as the store.
  return new OutboundDialer({ config, store, rest, limiter: new SlidingWindowLimiter(100_000), log: createLogger('silent') });
}

test('a callLogId racing on two nodes dials Exotel once, and both nodes answer with the same record', async () => {
  const url = await db.schema();
  const [a, b] = [await node(url), await node(url)];
  const dials = () => exotel.requests.filter((r) => r.path.endsWith('/Calls/connect.json')).length;
  const ROUNDS = 10;
  const PER_ROUND = 12;
  for (let round = 0; round < ROUNDS; round++) {
    const callLogId = `crm-race-${round}`;
    const before = dials();
    const results: DialResult[] = await Promise.all(
      Array.from({ length: PER_ROUND }, (_, i) => (i % 2 ? a : b).dial({ to: '+91 98765 43210', callLogId })),
    );
    assert.equal(dials() - before, 1, `round ${round}: Exotel asked once`);
    assert.equal(results.filter((r) => r.created).length, 1, `round ${round}: one request placed the call`);
    assert.equal(new Set(results.map((r) => r.id)).size, 1, `round ${round}: one record`);
    assert.ok(results.every((r) => r.callLogId === callLogId));
    const placed = results.find((r) => r.created)!;
    const sent = [...exotel.calls.values()].find((c) => c.dial.Sid === placed.callSid);
    assert.ok(sent, 'the placed call is the one Exotel has');
    // Each node, asked again later, answers with the placed call (its CallSid is durable by then).
    await Promise.all(stores.map((s) => s.flush()));
    for (const n of [a, b]) {
      const again = await n.dial({ to: '+91 98765 43210', callLogId });
      assert.deepEqual([again.id, again.callSid, again.created], [placed.id, placed.callSid, false]);
    }
  }
  assert.equal(exotel.calls.size, ROUNDS);
});
