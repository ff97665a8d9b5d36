// Values the Postgres store writes: a call's columns as positional parameters (call-rows.ts maps rows back).
import type { CallFields } from './call-store.js';
import { CALL_COLUMN_NAMES, fieldsToParams } from './call-rows.js';

/** Postgres text cannot hold U+0000 (SQLite can): it becomes U+FFFD rather than costing the whole write. */
export function pgText(s: string): string;
export function pgText(s: string | null): string | null;
export function pgText(s: string | null): string | null {
  return s !== null && s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

/** $1, $2 ... $n, from `start`. */
export function placeholders(n: number, start = 1): string {
  return Array.from({ length: n }, (_, i) => `$${start + i}`).join(', ');
}

/** The call's columns in CALL_COLUMN_NAMES order. JSON columns are JSON.stringify output, which escapes U+0000. */
export function callValues(f: CallFields): (string | number | null)[] {
  const p = fieldsToParams(f);
  return CALL_COLUMN_NAMES.map((c) => {
    const v = p[c];
    return typeof v === 'string' ? pgText(v) : v;
  });
}

/** Each column's Postgres type (postgres-migrations.ts), for statements that take a column as an array. */
const COLUMN_TYPES: Record<(typeof CALL_COLUMN_NAMES)[number], string> = {
  id: 'text', call_sid: 'text', stream_sid: 'text', call_log_id: 'text', direction: 'text', from_number: 'text',
  to_number: 'text', agent: 'text', custom_field: 'text', status: 'text', created_at: 'bigint', updated_at: 'bigint',
  answered_at: 'bigint', started_at: 'bigint', ended_at: 'bigint', end_reason: 'text', close_code: 'integer',
  total_ms: 'bigint', media_ms: 'bigint', conversation_ms: 'bigint', recording_url: 'text', exotel_status: 'text',
  exotel_legs: 'json', exotel_details: 'json',
};

/** Rewrites many calls in one statement: $1..$n are the columns as arrays (callColumnArrays), $n+1 the pks. */
export const UPDATE_CALLS = `UPDATE calls c SET (${CALL_COLUMN_NAMES.join(', ')}) =
    ROW(${CALL_COLUMN_NAMES.map((n) => `u.${n}`).join(', ')})
  FROM unnest(${CALL_COLUMN_NAMES.map((n, i) => `$${i + 1}::${COLUMN_TYPES[n]}[]`).join(', ')}, $${CALL_COLUMN_NAMES.length + 1}::bigint[])
    AS u(${CALL_COLUMN_NAMES.join(', ')}, pk)
  WHERE c.pk = u.pk`;

/** UPDATE_CALLS's parameters for these calls. */
export function callColumnArrays(calls: { pk: number; fields: CallFields }[]): unknown[] {
  const rows = calls.map((c) => callValues(c.fields));
  return [...CALL_COLUMN_NAMES.map((_, i) => rows.map((r) => r[i])), calls.map((c) => c.pk)];
}
