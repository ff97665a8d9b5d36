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
