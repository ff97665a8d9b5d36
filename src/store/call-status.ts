// Call status ordering: a status never moves backwards, terminal statuses are final,
// and a repeated status is a no-op (so duplicated or late webhooks change nothing).
import type { CallStatus } from './call-store.js';

export const CALL_STATUSES = [
  'queued',
  'dialing',
  'ringing',
  'in-progress',
  'completed',
  'failed',
  'busy',
  'no-answer',
  'canceled',
] as const satisfies readonly CallStatus[];

const TERMINAL_RANK = 4;

const RANK: Record<CallStatus, number> = {
  queued: 0,
  dialing: 1,
  ringing: 2,
  'in-progress': 3,
  completed: TERMINAL_RANK,
  failed: TERMINAL_RANK,
  busy: TERMINAL_RANK,
  'no-answer': TERMINAL_RANK,
  canceled: TERMINAL_RANK,
};

export function isTerminalStatus(status: CallStatus): boolean {
  return RANK[status] === TERMINAL_RANK;
}

/**
 * The status after `incoming` arrives on a call at `current`: `incoming` if it is strictly later in the
 * lifecycle, else `current`. Terminal statuses all share the last rank, so the first one reached wins.
 */
export function nextStatus(current: CallStatus, incoming: CallStatus): CallStatus {
  return RANK[incoming] > RANK[current] ? incoming : current;
}
