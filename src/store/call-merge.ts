// Applies a validated CallUpdate to a call's fields: the single place that decides what an update may
// change (see the rules on CallUpdate in call-store.ts). Pure: the caller supplies `now`.
import type { CallDurations, CallFields, CallUpdate } from './call-store.js';
import { isTerminalStatus, nextStatus } from './call-status.js';

export interface MergeConflict {
  field: string;
  kept: unknown;
  rejected: unknown;
}

export interface MergeResult {
  next: CallFields;
  changed: boolean;
  /** Set-once fields that an update tried to change: ignored, reported for the timeline. */
  conflicts: MergeConflict[];
}

const SET_ONCE = [
  'callSid',
  'streamSid',
  'callLogId',
  'answeredAt',
  'startedAt',
  'endedAt',
  'endReason',
  'closeCode',
] as const satisfies readonly (keyof CallUpdate & keyof CallFields)[];

const LAST_WINS = [
  'from',
  'to',
  'agent',
  'customField',
  'recordingUrl',
  'exotelStatus',
  'exotelLegs',
  'exotelDetails',
] as const satisfies readonly (keyof CallUpdate & keyof CallFields)[];

export function applyCallUpdate(current: CallFields, patch: CallUpdate, now: number): MergeResult {
  const next: CallFields = { ...current };
  const conflicts: MergeConflict[] = [];

  if (patch.status !== undefined) next.status = nextStatus(current.status, patch.status);
  for (const field of SET_ONCE) {
    const value = patch[field];
    if (value === undefined) continue;
    if (next[field] === null) (next as unknown as Record<string, unknown>)[field] = value;
    else if (next[field] !== value) conflicts.push({ field, kept: next[field], rejected: value });
  }
  for (const field of LAST_WINS) {
    const value = patch[field];
    if (value !== undefined) (next as unknown as Record<string, unknown>)[field] = value;
  }
  if (next.endedAt === null && isTerminalStatus(next.status) && !isTerminalStatus(current.status)) {
    next.endedAt = now;
  }
  next.durations = deriveDurations(next);

  const changed = !sameFields(current, next);
  if (changed) next.updatedAt = now;
  return { next, changed, conflicts };
}

export function deriveDurations(f: Pick<CallFields, 'createdAt' | 'answeredAt' | 'startedAt' | 'endedAt'>): CallDurations {
  const end = f.endedAt;
  const since = (start: number | null) => (end === null || start === null ? null : Math.max(0, end - start));
  return { totalMs: since(f.createdAt), mediaMs: since(f.startedAt), conversationMs: since(f.answeredAt) };
}

function sameFields(a: CallFields, b: CallFields): boolean {
  for (const key of Object.keys(b) as (keyof CallFields)[]) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x === 'object' && typeof y === 'object' && JSON.stringify(x) === JSON.stringify(y)) continue;
    return false;
  }
  return true;
}
