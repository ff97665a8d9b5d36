import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyCallUpdate, deriveDurations } from '../../src/store/call-merge.js';
import type { CallFields } from '../../src/store/call-store.js';

function call(over: Partial<CallFields> = {}): CallFields {
  return {
    id: 'C1',
    callSid: null,
    streamSid: null,
    callLogId: null,
    direction: 'outbound',
    from: null,
    to: '+919800000001',
    agent: null,
    customField: null,
    status: 'queued',
    createdAt: 1000,
    updatedAt: 1000,
    answeredAt: null,
    startedAt: null,
    endedAt: null,
    endReason: null,
    closeCode: null,
    durations: { totalMs: null, mediaMs: null, conversationMs: null },
    recordingUrl: null,
    exotelStatus: null,
    exotelLegs: null,
    exotelDetails: null,
    ...over,
  };
}

test('an update applies its fields and stamps updatedAt', () => {
  const r = applyCallUpdate(call(), { status: 'ringing', callSid: 'CA1', agent: 'sales' }, 2000);
  assert.equal(r.changed, true);
  assert.equal(r.next.status, 'ringing');
  assert.equal(r.next.callSid, 'CA1');
  assert.equal(r.next.agent, 'sales');
  assert.equal(r.next.updatedAt, 2000);
  assert.deepEqual(r.conflicts, []);
});

test('reaching a terminal status sets endedAt and the durations', () => {
  const live = call({ status: 'in-progress', answeredAt: 3000, startedAt: 3500 });
  const r = applyCallUpdate(live, { status: 'completed', endReason: 'caller-hangup' }, 10_000);
  assert.equal(r.next.endedAt, 10_000);
  assert.deepEqual(r.next.durations, { totalMs: 9000, mediaMs: 6500, conversationMs: 7000 });
});

test('an explicit endedAt wins over the update time', () => {
  const r = applyCallUpdate(call({ status: 'in-progress' }), { status: 'completed', endedAt: 5000 }, 9000);
  assert.equal(r.next.endedAt, 5000);
  assert.equal(r.next.durations.totalMs, 4000);
});

test('a late in-progress after completion changes nothing', () => {
  const done = applyCallUpdate(call({ status: 'in-progress' }), { status: 'completed' }, 5000).next;
  const r = applyCallUpdate(done, { status: 'in-progress' }, 6000);
  assert.equal(r.changed, false);
  assert.equal(r.next.status, 'completed');
  assert.equal(r.next.updatedAt, 5000);
});

test('a duplicate update is idempotent', () => {
  const patch = { status: 'completed' as const, endedAt: 5000, endReason: 'bot-hangup' as const, exotelLegs: [{ status: 'completed' }] };
  const once = applyCallUpdate(call({ status: 'in-progress' }), patch, 5000).next;
  const twice = applyCallUpdate(once, patch, 7000);
  assert.equal(twice.changed, false);
  assert.deepEqual(twice.conflicts, []);
  assert.deepEqual(twice.next, once);
});

test('set-once fields keep their first value and report a conflict', () => {
  const c = call({ callSid: 'CA1', answeredAt: 2000, endReason: 'transfer' });
  const r = applyCallUpdate(c, { callSid: 'CA2', answeredAt: 2500, endReason: 'error' }, 3000);
  assert.equal(r.next.callSid, 'CA1');
  assert.equal(r.next.answeredAt, 2000);
  assert.equal(r.next.endReason, 'transfer');
  assert.deepEqual(r.conflicts, [
    { field: 'callSid', kept: 'CA1', rejected: 'CA2' },
    { field: 'answeredAt', kept: 2000, rejected: 2500 },
    { field: 'endReason', kept: 'transfer', rejected: 'error' },
  ]);
  assert.equal(r.changed, false);
});

test('last-write-wins fields take the newest value', () => {
  const c = call({ exotelStatus: 'ringing', recordingUrl: 'https://a.example/1.mp3' });
  const r = applyCallUpdate(c, { exotelStatus: 'completed', recordingUrl: 'https://a.example/2.mp3' }, 4000);
  assert.equal(r.next.exotelStatus, 'completed');
  assert.equal(r.next.recordingUrl, 'https://a.example/2.mp3');
});

test('the input record is not mutated', () => {
  const c = call();
  const copy = structuredClone(c);
  applyCallUpdate(c, { status: 'completed', callSid: 'CA9' }, 9000);
  assert.deepEqual(c, copy);
});

test('deriveDurations needs endedAt and never goes negative', () => {
  assert.deepEqual(deriveDurations({ createdAt: 0, answeredAt: 10, startedAt: 20, endedAt: null }), {
    totalMs: null,
    mediaMs: null,
    conversationMs: null,
  });
  assert.deepEqual(deriveDurations({ createdAt: 100, answeredAt: null, startedAt: 200, endedAt: 150 }), {
    totalMs: 50,
    mediaMs: 0,
    conversationMs: null,
  });
});
