import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallSession, DEFAULT_SESSION_OPTIONS, type SessionDeps, type SessionSocket } from '../../src/call/session.js';
import { MemorySessionRegistry } from '../../src/call/session-registry.js';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { MemoryJournal } from '../helpers/call-journal.js';

class FakeSocket implements SessionSocket {
  readyState = 1;
  sent: string[] = [];
  closedWith?: [number | undefined, string | undefined];
  constructor(private readonly failAfter = Infinity) {}
  send(data: string): void {
    if (this.sent.length >= this.failAfter) throw new Error('send exploded');
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.readyState = 3;
    this.closedWith = [code, reason];
  }
}

/** Plays 2 s on start; an async DTMF handler that rejects on '9', a sync one that throws on '8'. */
const agent: Agent = {
  name: 'a',
  start(call) {
    call.play(new Int16Array(16000).fill(100));
    return {
      onAudio() {},
      async onDtmf(digit) {
        if (digit === '9') throw new Error('async dtmf handler rejected');
      },
    };
  },
};
const throwingDtmf: Agent = {
  name: 'b',
  start: () => ({
    onAudio() {},
    onDtmf() {
      throw new Error('sync dtmf handler threw');
    },
  }),
};

function setup(pick: Agent = agent) {
  const scheduler = new ManualScheduler();
  const journal = new MemoryJournal();
  const deps: SessionDeps = {
    registry: new MemorySessionRegistry(),
    metrics: new GatewayMetrics(false),
    log: createLogger('silent'),
    scheduler,
    journal,
    selectAgent: () => pick,
    options: DEFAULT_SESSION_OPTIONS,
  };
  const open = (id: string, socket: FakeSocket) => {
    const s = new CallSession(socket, { callId: id }, deps);
    s.onMessage(Buffer.from(JSON.stringify({ event: 'start', start: { stream_sid: `s-${id}`, call_sid: id } })), false);
    return s;
  };
  return { scheduler, journal, deps, open };
}

const dtmf = (digit: string) => Buffer.from(JSON.stringify({ event: 'dtmf', dtmf: { digit } }));

test('a pacer timer that throws ends its own call only', () => {
  const { scheduler, journal, open } = setup();
  const badSocket = new FakeSocket(2);
  const goodSocket = new FakeSocket();
  const bad = open('bad', badSocket);
  const good = open('good', goodSocket);
  const before = goodSocket.sent.length;
  scheduler.advance(1500);
  assert.equal(bad.endReason, 'agent-error');
  assert.deepEqual(badSocket.closedWith, [1011, 'agent-error']);
  const end = journal.eventsOf('bad', 'end')[0];
  assert.equal(end?.data.message, 'send exploded');
  assert.equal(end?.data.source, 'timer');
  assert.equal(good.ended, false);
  assert.ok(goodSocket.sent.length > before + 3, 'the other call kept sending');
});

test('a rejected promise from an async agent handler ends the call with its message', async () => {
  const { journal, open } = setup();
  const socket = new FakeSocket();
  const s = open('async1', socket);
  s.onMessage(dtmf('1'), false);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.ended, false);
  s.onMessage(dtmf('9'), false);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.endReason, 'agent-error');
  assert.equal(journal.eventsOf('async1', 'end')[0]?.data.message, 'async dtmf handler rejected');
});

test('a synchronous throw in a handler ends the call, and later input is ignored', () => {
  const { journal, deps, open } = setup(throwingDtmf);
  const socket = new FakeSocket();
  const s = open('sync1', socket);
  assert.doesNotThrow(() => s.onMessage(dtmf('8'), false));
  assert.equal(s.endReason, 'agent-error');
  assert.equal(journal.eventsOf('sync1', 'end')[0]?.data.message, 'sync dtmf handler threw');
  assert.equal(deps.registry.size, 0);
  assert.doesNotThrow(() => s.onMessage(dtmf('8'), false));
  assert.equal(journal.eventsOf('sync1', 'end').length, 1, 'ended exactly once');
});
