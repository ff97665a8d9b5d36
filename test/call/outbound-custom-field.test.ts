import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startOutboundGateway, type OutboundGateway } from '../helpers/e2e-call.js';

/**
 * An outbound call's CustomField (what Exotel hands the flow's Voicebot applet, its dynamic URL and the terminal
 * status callback) is the caller's callLogId when POST /call had one, else our record id; either way the
 * webhook and the callbacks that carry it back land on the record of the dial, not on a new inbound one.
 */

let rig: OutboundGateway;

before(async () => {
  rig = await startOutboundGateway({ env: { EXOTEL_APP_ID: '123456' } });
});
after(() => rig.close());

async function dial(body: Record<string, string>): Promise<{ id: string; callSid: string; callLogId: string }> {
  const res = await fetch(`${rig.base}/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { id: string; callSid: string; callLogId: string };
  assert.equal(res.status, 201, JSON.stringify(json));
  return json;
}

/** Exotel runs the flow: the Voicebot applet's dynamic URL gets the dial's CallSid and CustomField. */
async function webhook(callSid: string, customField: string): Promise<void> {
  const q = new URLSearchParams({ CallSid: callSid, CallFrom: '09876543210', CallTo: '08047491899', Direction: 'outbound-api', CustomField: customField });
  const res = await fetch(`${rig.base}/api/v1/exotel/voice/connect?${q}`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}

async function recordCount(): Promise<number> {
  await rig.store.flush();
  return (await rig.store.list({ limit: 200 })).items.length;
}

/** The webhook is recorded off the request path; wait (generously) until its event is in the store. */
async function eventTypes(id: string, until: string): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    await rig.store.flush();
    const types = (await rig.store.get(id))!.events.map((e) => e.type);
    if (types.includes(until)) return types;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await rig.store.get(id))!.events.map((e) => e.type);
}

test("with a callLogId, CustomField is the callLogId, and the webhook and terminal callback find the dial's record", async () => {
  const placed = await dial({ to: '98765 43210', callLogId: 'crm-order-7781' });
  const sent = rig.exotel.call(placed.callSid).dial;
  assert.equal(sent.CustomField, 'crm-order-7781');
  const records = await recordCount();

  await webhook(placed.callSid, sent.CustomField!);
  assert.ok((await eventTypes(placed.id, 'webhook')).includes('webhook'), 'the webhook was recorded on the dial');
  assert.equal(await recordCount(), records, 'no inbound record was started for the outbound call');

  rig.exotel.setCallStatus(placed.callSid, { status: 'completed', conversationDurationSec: 4 });
  assert.equal(rig.exotel.statusCallbackFields(placed.callSid, 'terminal').CustomField, 'crm-order-7781');
  assert.equal((await rig.exotel.sendStatusCallback(placed.callSid, 'terminal')).status, 200);
  await rig.store.flush();
  const rec = (await rig.store.get('crm-order-7781'))!;
  assert.equal(rec.id, placed.id);
  assert.equal(rec.callSid, placed.callSid);
  assert.equal(rec.direction, 'outbound');
  assert.equal(rec.status, 'completed');
  assert.equal(await recordCount(), records);
});

test('without a callLogId, CustomField is our record id, and the webhook finds that record', async () => {
  const placed = await dial({ to: '98765 43211' });
  const sent = rig.exotel.call(placed.callSid).dial;
  assert.equal(sent.CustomField, placed.id);
  assert.notEqual(sent.CustomField, placed.callLogId, 'a generated callLogId is not what Exotel carries');
  const records = await recordCount();

  await webhook(placed.callSid, sent.CustomField!);
  assert.ok((await eventTypes(placed.id, 'webhook')).includes('webhook'));
  assert.equal(await recordCount(), records);

  rig.exotel.setCallStatus(placed.callSid, { status: 'no-answer' });
  assert.equal((await rig.exotel.sendStatusCallback(placed.callSid, 'terminal')).status, 200);
  await rig.store.flush();
  assert.equal((await rig.store.get(placed.id))!.status, 'no-answer');
});
