// Behaviour every CallStore implementation must have. An implementation's test file calls
// runCallStoreConformance with a factory that opens a fresh, empty store on a clock the suite controls.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallStore } from '../../src/store/call-store.js';
import {
  CallLogIdConflictError,
  CallNotFoundError,
  CallStoreClosedError,
  CallStoreValidationError,
} from '../../src/store/errors.js';

export interface StoreFactoryOptions {
  /** The store's clock (epoch ms); the suite moves it. */
  clock: () => number;
}

export interface CallStoreHarness {
  store: CallStore;
  /** Closes the current store (if open) and opens a new one on the same data. */
  reopen(): Promise<CallStore>;
  /** Closes whatever is open and deletes the data. */
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);
const HOUR = 3600_000;

export function runCallStoreConformance(
  name: string,
  makeStore: (options: StoreFactoryOptions) => Promise<CallStoreHarness>,
): void {
  describe(`CallStore conformance: ${name}`, () => {
    let now = T0;
    const clock = () => now;

    async function withStore(fn: (store: CallStore, h: CallStoreHarness) => Promise<void>): Promise<void> {
      now = T0;
      const h = await makeStore({ clock });
      try {
        await fn(h.store, h);
      } finally {
        await h.cleanup();
      }
    }

    test('create returns an id; get finds the record by id, callSid and callLogId', () =>
      withStore(async (store) => {
        const id = await store.create({
          direction: 'outbound',
          from: '08047112345',
          to: '+919800000001',
          agent: 'sales',
          customField: '{"lead":42}',
          callLogId: 'crm-1',
        });
        store.attachCallSid(id, 'CA-1', 'ST-1');
        const byId = await store.get(id);
        assert.ok(byId);
        assert.equal(byId.id, id);
        assert.equal(byId.direction, 'outbound');
        assert.equal(byId.status, 'queued');
        assert.equal(byId.from, '08047112345');
        assert.equal(byId.to, '+919800000001');
        assert.equal(byId.agent, 'sales');
        assert.equal(byId.customField, '{"lead":42}');
        assert.equal(byId.callSid, 'CA-1');
        assert.equal(byId.streamSid, 'ST-1');
        assert.equal(byId.callLogId, 'crm-1');
        assert.equal(byId.createdAt, T0);
        assert.equal(byId.endedAt, null);
        assert.deepEqual(byId.durations, { totalMs: null, mediaMs: null, conversationMs: null });
        assert.deepEqual(byId.events, []);
        assert.deepEqual(byId.transcript, []);
        assert.deepEqual(await store.get('CA-1'), byId);
        assert.deepEqual(await store.get('crm-1'), byId);
        assert.equal(await store.get('nope'), null);
      }));

    test('ids are unique and an inbound call starts ringing', () =>
      withStore(async (store) => {
        const a = await store.create({ direction: 'inbound', callSid: 'CA-in' });
        const b = await store.create({ direction: 'inbound' });
        assert.notEqual(a, b);
        assert.equal((await store.get(a))?.status, 'ringing');
        assert.equal((await store.get('CA-in'))?.id, a);
      }));

    test('the timeline keeps append order, data and default times', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound' });
        store.appendEvent(id, { type: 'ws-open', at: T0 + 5 });
        now = T0 + 10;
        store.appendEvent(id, { type: 'start', data: { streamSid: 'ST', mediaFormat: { sampleRate: 8000 } } });
        store.appendEvent(id, { type: 'dtmf', at: T0 + 7, data: { digit: '5' } });
        const rec = await store.get(id);
        assert.deepEqual(rec?.events, [
          { at: T0 + 5, type: 'ws-open', data: {} },
          { at: T0 + 10, type: 'start', data: { streamSid: 'ST', mediaFormat: { sampleRate: 8000 } } },
          { at: T0 + 7, type: 'dtmf', data: { digit: '5' } },
        ]);
      }));

    test('event data over the cap is truncated and flagged', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound' });
        store.appendEvent(id, { type: 'error', data: { message: 'boom', stack: 's'.repeat(20_000) } });
        const [event] = (await store.get(id))?.events ?? [];
        assert.equal(event.truncated, true);
        assert.equal(event.data.message, 'boom');
        assert.ok(JSON.stringify(event.data).length <= 4096);
      }));

    test('transcript turns get sequence numbers and an interrupted agent turn can be updated', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound' });
        assert.equal(store.addTurn(id, { role: 'caller', text: 'Hello?', startedAt: T0, endedAt: T0 + 900 }), 0);
        const agentSeq = store.addTurn(id, { role: 'agent', text: 'Hi! How can I help you today?', startedAt: T0 + 1200 });
        assert.equal(agentSeq, 1);
        store.updateTurn(id, agentSeq, { endedAt: T0 + 2000, interrupted: true, heardText: 'Hi! How can' });
        assert.equal(store.addTurn(id, { role: 'caller', text: 'Balance please', startedAt: T0 + 1900 }), 2);
        assert.deepEqual((await store.get(id))?.transcript, [
          { seq: 0, role: 'caller', text: 'Hello?', startedAt: T0, endedAt: T0 + 900, interrupted: false },
          {
            seq: 1,
            role: 'agent',
            text: 'Hi! How can I help you today?',
            startedAt: T0 + 1200,
            endedAt: T0 + 2000,
            interrupted: true,
            heardText: 'Hi! How can',
          },
          { seq: 2, role: 'caller', text: 'Balance please', startedAt: T0 + 1900, endedAt: null, interrupted: false },
        ]);
        assert.throws(() => store.updateTurn(id, 3, { interrupted: true }), CallStoreValidationError);
      }));

    test('turn sequence numbers continue after a reopen', () =>
      withStore(async (_store, h) => {
        const id = await h.store.create({ direction: 'inbound' });
        h.store.addTurn(id, { role: 'caller', text: 'one', startedAt: T0 });
        h.store.addTurn(id, { role: 'agent', text: 'two', startedAt: T0 });
        const reopened = await h.reopen();
        assert.equal(reopened.addTurn(id, { role: 'caller', text: 'three', startedAt: T0 }), 2);
        reopened.updateTurn(id, 1, { interrupted: true });
        const rec = await reopened.get(id);
        assert.deepEqual(
          rec?.transcript.map((t) => [t.seq, t.text, t.interrupted]),
          [
            [0, 'one', false],
            [1, 'two', true],
            [2, 'three', false],
          ],
        );
      }));

    test('status is monotonic: late, stale and duplicate updates change nothing', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'outbound' });
        store.update(id, { status: 'dialing' });
        store.update(id, { status: 'ringing' });
        store.update(id, { status: 'dialing' });
        assert.equal((await store.get(id))?.status, 'ringing');
        now = T0 + 1000;
        store.update(id, { status: 'in-progress', answeredAt: now });
        store.update(id, { startedAt: T0 + 1500 });
        now = T0 + 61_000;
        store.update(id, { status: 'completed', endReason: 'caller-hangup', closeCode: 1000 });
        now = T0 + 70_000;
        store.update(id, { status: 'completed', endReason: 'caller-hangup', closeCode: 1000 });
        store.update(id, { status: 'in-progress' });
        store.update(id, { status: 'failed' });
        const rec = await store.get(id);
        assert.equal(rec?.status, 'completed');
        assert.equal(rec?.endedAt, T0 + 61_000, 'endedAt is the time of the terminal update');
        assert.equal(rec?.updatedAt, T0 + 61_000, 'no-op updates do not touch updatedAt');
        assert.equal(rec?.endReason, 'caller-hangup');
        assert.equal(rec?.closeCode, 1000);
        assert.deepEqual(rec?.durations, { totalMs: 61_000, mediaMs: 59_500, conversationMs: 60_000 });
        assert.deepEqual(rec?.events, [], 'repeating a set-once value is not a conflict');
      }));

    test('a conflicting set-once value is kept out and logged on the timeline', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound', callSid: 'CA-A' });
        now = T0 + 50;
        store.attachCallSid(id, 'CA-B');
        const rec = await store.get(id);
        assert.equal(rec?.callSid, 'CA-A');
        assert.deepEqual(rec?.events, [{ at: T0 + 50, type: 'conflict', data: { field: 'callSid', kept: 'CA-A', rejected: 'CA-B' } }]);
      }));

    test('Exotel details are stored as reported, last one wins', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'outbound' });
        store.update(id, { exotelStatus: 'in-progress', exotelLegs: [{ Id: 1, Status: 'in-progress' }] });
        store.update(id, {
          exotelStatus: 'completed',
          exotelLegs: [{ Id: 1, Status: 'completed', OnCallDuration: 42 }],
          exotelDetails: { ConversationDuration: 42, Price: '1.2' },
          recordingUrl: 'https://recordings.example/CA.mp3',
        });
        const rec = await store.get(id);
        assert.equal(rec?.exotelStatus, 'completed');
        assert.deepEqual(rec?.exotelLegs, [{ Id: 1, Status: 'completed', OnCallDuration: 42 }]);
        assert.deepEqual(rec?.exotelDetails, { ConversationDuration: 42, Price: '1.2' });
        assert.equal(rec?.recordingUrl, 'https://recordings.example/CA.mp3');
      }));

    test('writes are durable after flush() and after close()', () =>
      withStore(async (_store, h) => {
        const id = await h.store.create({ direction: 'inbound', from: '0801' });
        h.store.appendEvent(id, { type: 'start' });
        await h.store.flush();
        assert.equal(h.store.stats().pendingOps, 0);
        h.store.appendEvent(id, { type: 'stop' });
        h.store.update(id, { status: 'completed', endReason: 'caller-hangup' });
        const reopened = await h.reopen(); // closes the first store: close() must flush
        const rec = await reopened.get(id);
        assert.deepEqual(
          rec?.events.map((e) => e.type),
          ['start', 'stop'],
        );
        assert.equal(rec?.status, 'completed');
        assert.equal(rec?.from, '0801');
      }));

    test('delete removes a record with its timeline and transcript, and only that record', () =>
      withStore(async (_store, h) => {
        const gone = await h.store.create({ direction: 'inbound', from: '0801', callSid: 'CAdelete1' });
        const kept = await h.store.create({ direction: 'inbound', from: '0802' });
        h.store.appendEvent(gone, { type: 'start' });
        h.store.addTurn(gone, { role: 'caller', text: 'hello', startedAt: T0 });
        h.store.appendEvent(kept, { type: 'start' });
        // Pending writes to it are flushed first, not left to fail.
        assert.equal(await h.store.delete(gone), true);
        assert.equal(await h.store.get(gone), null);
        assert.equal(await h.store.get('CAdelete1'), null);
        assert.equal((await h.store.list()).items.length, 1);
        assert.deepEqual((await h.store.get(kept))?.events.map((e) => e.type), ['start']);
        assert.throws(() => h.store.appendEvent(gone, { type: 'stop' }), CallNotFoundError);
        assert.equal(await h.store.delete(gone), false);
        const reopened = await h.reopen();
        assert.equal(await reopened.get(gone), null);
        assert.ok(await reopened.get(kept));
      }));

    test('writes to an unknown call throw CallNotFoundError', () =>
      withStore(async (store) => {
        assert.throws(() => store.appendEvent('01J000000000000000000NOPE0', { type: 'start' }), CallNotFoundError);
        assert.throws(() => store.update('missing', { status: 'completed' }), CallNotFoundError);
        assert.throws(() => store.addTurn('missing', { role: 'agent', text: 'x', startedAt: T0 }), CallNotFoundError);
      }));

    test('malformed input throws CallStoreValidationError naming the field', () =>
      withStore(async (store) => {
        await assert.rejects(store.create({ direction: 'sideways' as 'inbound' }), (e: Error) => {
          assert.ok(e instanceof CallStoreValidationError);
          assert.match(e.message, /call\.direction/);
          return true;
        });
        await assert.rejects(store.create({ direction: 'inbound', to: '9'.repeat(65) }), CallStoreValidationError);
        await assert.rejects(store.create({ direction: 'inbound', callLogId: '' }), CallStoreValidationError);
        const id = await store.create({ direction: 'inbound' });
        assert.throws(() => store.update(id, { status: 'answered' as 'in-progress' }), /update\.status/);
        assert.throws(() => store.update(id, { bogus: 1 } as never), CallStoreValidationError);
        assert.throws(() => store.update(id, { closeCode: -1 }), CallStoreValidationError);
        assert.throws(() => store.update(id, { exotelDetails: { blob: 'x'.repeat(10_000) } }), CallStoreValidationError);
        assert.throws(() => store.appendEvent(id, { type: 'Not A Type' }), CallStoreValidationError);
        assert.throws(() => store.appendEvent(id, { type: 'dtmf', data: [1, 2] as never }), CallStoreValidationError);
        assert.throws(() => store.appendEvent(id, { type: 'dtmf', at: Number.NaN }), CallStoreValidationError);
        assert.throws(() => store.appendEvent(id, { type: 'dtmf', data: { n: 1n } }), CallStoreValidationError);
        assert.throws(() => store.addTurn(id, { role: 'bot' as 'agent', text: 'x', startedAt: T0 }), CallStoreValidationError);
        await assert.rejects(store.list({ limit: 201 }), CallStoreValidationError);
        await assert.rejects(store.list({ limit: 0 }), CallStoreValidationError);
        await assert.rejects(store.list({ cursor: 'not-a-cursor' }), CallStoreValidationError);
        assert.deepEqual((await store.get(id))?.events, [], 'rejected writes leave no trace');
      }));

    test('very long turn text is cut, not rejected', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound' });
        store.addTurn(id, { role: 'agent', text: 'a'.repeat(50_000), startedAt: T0 });
        const [turn] = (await store.get(id))?.transcript ?? [];
        assert.ok(turn.text.length > 1000 && turn.text.length < 50_000);
      }));

    test('list filters by status, direction, number, agent and time range, newest first, with counts', () =>
      withStore(async (store) => {
        const ids: string[] = [];
        const specs = [
          { direction: 'inbound', from: '+911', to: '0800', agent: 'front-desk' },
          { direction: 'outbound', from: '0800', to: '+912', agent: 'echo' },
          { direction: 'outbound', from: '0800', to: '+911' },
          { direction: 'inbound', from: '+913', to: '0800', agent: 'front-desk' },
        ] as const;
        for (const [i, spec] of specs.entries()) {
          now = T0 + i * HOUR;
          ids.push(await store.create({ ...spec }));
        }
        store.update(ids[1], { status: 'completed' });
        store.appendEvent(ids[2], { type: 'dial' });
        store.appendEvent(ids[2], { type: 'ringing' });
        store.addTurn(ids[2], { role: 'agent', text: 'hi', startedAt: T0 });

        const all = await store.list();
        assert.deepEqual(
          all.items.map((c) => c.id),
          [...ids].reverse(),
        );
        assert.equal(all.nextCursor, null);
        const third = all.items.find((c) => c.id === ids[2]);
        assert.equal(third?.eventCount, 2);
        assert.equal(third?.turnCount, 1);
        assert.equal('events' in (third ?? {}), false);

        const pick = async (q: Parameters<CallStore['list']>[0]) => (await store.list(q)).items.map((c) => ids.indexOf(c.id));
        assert.deepEqual(await pick({ direction: 'outbound' }), [2, 1]);
        assert.deepEqual(await pick({ status: 'completed' }), [1]);
        assert.deepEqual(await pick({ number: '+911' }), [2, 0]);
        assert.deepEqual(await pick({ number: '0800' }), [3, 2, 1, 0]);
        assert.deepEqual(await pick({ from: new Date(T0 + HOUR), to: new Date(T0 + 3 * HOUR) }), [2, 1]);
        assert.deepEqual(await pick({ direction: 'inbound', number: '+913' }), [3]);
        assert.deepEqual(await pick({ agent: 'front-desk' }), [3, 0]);
        store.update(ids[2], { agent: 'front-desk' }); // the agent is often known only once the stream starts
        assert.deepEqual(await pick({ agent: 'front-desk', direction: 'outbound' }), [2]);
        assert.deepEqual(await pick({ agent: 'nobody' }), []);
      }));

    test('cursor pagination is complete and stable under concurrent inserts', () =>
      withStore(async (store) => {
        const ids = new Set<string>();
        for (let i = 0; i < 7; i++) {
          now = T0 + Math.floor(i / 3) * 1000; // groups of equal createdAt: the id breaks ties
          ids.add(await store.create({ direction: 'inbound' }));
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ limit: 3, cursor });
          seen.push(...page.items.map((c) => c.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
          now = T0 + 10_000 + pages;
          await store.create({ direction: 'inbound' }); // newer than every page: must not shift them
        } while (cursor !== undefined);
        assert.equal(pages, 3);
        assert.deepEqual(new Set(seen), ids);
        assert.equal(seen.length, 7, 'no duplicates');
        const full = await store.list({ limit: 200 });
        const order = full.items.map((c) => [c.createdAt, c.id] as const);
        const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
        assert.deepEqual(order, sorted);
      }));

    test('createOrGetByCallLogId is idempotent within the window', () =>
      withStore(async (store) => {
        const first = await store.createOrGetByCallLogId({ direction: 'outbound', to: '+914', callLogId: 'crm-7' });
        assert.equal(first.created, true);
        assert.equal(first.record.callLogId, 'crm-7');
        store.appendEvent(first.record.id, { type: 'dial' });
        now = T0 + 23 * HOUR;
        const again = await store.createOrGetByCallLogId({ direction: 'outbound', to: '+914', callLogId: 'crm-7' });
        assert.equal(again.created, false);
        assert.equal(again.record.id, first.record.id);
        assert.deepEqual(again.record.events.map((e) => e.type), ['dial'], 'returns the full, current record');
        await assert.rejects(store.create({ direction: 'outbound', callLogId: 'crm-7' }), CallLogIdConflictError);
        now = T0 + 25 * HOUR;
        await assert.rejects(
          store.createOrGetByCallLogId({ direction: 'outbound', callLogId: 'crm-7' }),
          (e: Error) => e instanceof CallLogIdConflictError && e.existingId === first.record.id,
        );
      }));

    test('concurrent createOrGetByCallLogId creates exactly one call', () =>
      withStore(async (store) => {
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.createOrGetByCallLogId({ direction: 'outbound', callLogId: 'race' })),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        assert.equal(new Set(results.map((r) => r.record.id)).size, 1);
        assert.equal((await store.list()).items.length, 1);
      }));

    test('a closed store refuses work', () =>
      withStore(async (store) => {
        const id = await store.create({ direction: 'inbound' });
        await store.close();
        assert.throws(() => store.appendEvent(id, { type: 'stop' }), CallStoreClosedError);
        await assert.rejects(store.get(id), CallStoreClosedError);
        await store.close(); // idempotent
      }));
  });
}
