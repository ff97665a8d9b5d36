import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CALL_STATUSES, isTerminalStatus, nextStatus } from '../../src/store/call-status.js';
import type { CallStatus } from '../../src/store/call-store.js';

const TERMINAL: CallStatus[] = ['completed', 'failed', 'busy', 'no-answer', 'canceled'];
const LIVE: CallStatus[] = ['queued', 'dialing', 'ringing', 'in-progress'];

test('the lifecycle moves forward through queued, dialing, ringing, in-progress', () => {
  assert.equal(nextStatus('queued', 'dialing'), 'dialing');
  assert.equal(nextStatus('dialing', 'ringing'), 'ringing');
  assert.equal(nextStatus('ringing', 'in-progress'), 'in-progress');
  assert.equal(nextStatus('queued', 'in-progress'), 'in-progress', 'steps may be skipped');
  assert.equal(nextStatus('in-progress', 'completed'), 'completed');
});

test('a status never moves backwards', () => {
  assert.equal(nextStatus('in-progress', 'ringing'), 'in-progress');
  assert.equal(nextStatus('ringing', 'queued'), 'ringing');
  assert.equal(nextStatus('dialing', 'queued'), 'dialing');
});

test('terminal statuses are final, even against another terminal status', () => {
  for (const end of TERMINAL) {
    for (const incoming of CALL_STATUSES) assert.equal(nextStatus(end, incoming), end, `${end} then ${incoming}`);
  }
});

test('every live status can reach every terminal status', () => {
  for (const live of LIVE) for (const end of TERMINAL) assert.equal(nextStatus(live, end), end);
});

test('a repeated status is a no-op', () => {
  for (const s of CALL_STATUSES) assert.equal(nextStatus(s, s), s);
});

test('isTerminalStatus splits the statuses into live and terminal', () => {
  assert.deepEqual(CALL_STATUSES.filter(isTerminalStatus), TERMINAL);
});
