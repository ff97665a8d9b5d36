// Opaque list cursor: the (createdAt, id) of the last item of a page. Listing is ordered by
// createdAt desc then id desc, so "strictly after this key" is stable under concurrent inserts.
import { CallStoreValidationError } from './errors.js';

export interface ListPosition {
  createdAt: number;
  id: string;
}

export function encodeCursor(pos: ListPosition): string {
  return Buffer.from(JSON.stringify([pos.createdAt, pos.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CallStoreValidationError('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !Number.isSafeInteger(parsed[0]) ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length === 0 ||
    parsed[1].length > 64
  ) {
    throw new CallStoreValidationError('invalid cursor');
  }
  return { createdAt: parsed[0], id: parsed[1] };
}

/** A list query's from/to bound as epoch ms. */
export function dateMs(d: Date, name: string): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new CallStoreValidationError(`invalid query.${name}: invalid date`);
  return ms;
}
