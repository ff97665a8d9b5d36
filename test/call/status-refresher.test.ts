import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusRefresher } from '../../src/call/status-refresher.js';
import { ExotelRestClient } from '../../src/exotel/rest-client.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';

test('an outbound call whose status callback never came is settled from Exotel call details', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-refresh-'));
  const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'k', apiToken: 'tok-123456' });
  await exotel.start();
  const store = openSqliteCallStore({ dataDir: dir });
  const rest = new ExotelRestClient({ apiKey: 'k', apiToken: 'tok-123456', accountSid: 'acct1', subdomain: 'x', baseUrl: exotel.baseUrl });
  let now = Date.now();
  const refresher = new StatusRefresher({ store, rest, log: createLogger('silent'), staleAfterMs: 60_000, now: () => now });
  try {
    const placed = await rest.connectCall({ mode: 'flow', appId: '1', from: '9876543210', callerId: '08047491899' });
    const fresh = await store.create({ direction: 'outbound', to: '+919876543210', status: 'dialing', callSid: placed.Sid });
    const other = await store.create({ direction: 'outbound', to: '+919876543211', status: 'dialing' }); // never dialled: no CallSid
    exotel.setCallStatus(placed.Sid, { status: 'completed', conversationDurationSec: 42, recordingUrl: 'https://r.example.com/1.mp3' });

    assert.equal(await refresher.sweep(), 0, 'not stale yet');
    now += 5 * 60_000;
    assert.equal(await refresher.sweep(), 1);
    const rec = await store.get(fresh);
    assert.equal(rec!.status, 'completed');
    assert.equal(rec!.recordingUrl, 'https://r.example.com/1.mp3');
    assert.equal(rec!.exotelDetails?.ConversationDuration, 42);
    assert.ok(rec!.events.some((e) => e.type === 'status-refresh'));
    assert.equal((await store.get(other))!.status, 'dialing');
    assert.equal(await refresher.sweep(), 0, 'settled calls are not asked about again');
    const detailRequests = exotel.requests.filter((r) => r.path.includes(`/Calls/${placed.Sid}.json`));
    assert.equal(detailRequests.length, 1);
    assert.equal(detailRequests[0].query.details, 'true');
  } finally {
    await refresher.stop();
    await store.close();
    await exotel.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
