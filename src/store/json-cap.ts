// Serializes a small JSON object under a byte cap, so one bad caller cannot bloat the database.
// Over the cap, top-level keys are kept in order while they fit and the first string that does not
// fit is cut; what does not fit is dropped, and the result says it was truncated.

export interface CappedJson {
  json: string;
  truncated: boolean;
}

const EMPTY: CappedJson = { json: '{}', truncated: false };

/** Throws TypeError for values JSON cannot represent (cycles, BigInt). */
export function capJson(value: Record<string, unknown> | undefined, maxBytes: number): CappedJson {
  if (value === undefined) return EMPTY;
  const json = JSON.stringify(value);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: skip the exact count when it cannot matter.
  if (json.length <= maxBytes && (json.length * 3 <= maxBytes || Buffer.byteLength(json, 'utf8') <= maxBytes)) {
    return { json, truncated: false };
  }
  const kept: Record<string, unknown> = {};
  let used = 2; // {}
  for (const [key, v] of Object.entries(value)) {
    const piece = JSON.stringify(v);
    if (piece === undefined) continue;
    const overhead = Buffer.byteLength(JSON.stringify(key), 'utf8') + 1 + (used > 2 ? 1 : 0); // "key": and comma
    const room = maxBytes - used - overhead;
    const size = Buffer.byteLength(piece, 'utf8');
    if (size <= room) {
      kept[key] = v;
      used += overhead + size;
    } else if (typeof v === 'string' && room > 16) {
      kept[key] = cutString(v, room);
      break;
    } else {
      break;
    }
  }
  return { json: JSON.stringify(kept), truncated: true };
}

/** The longest prefix (roughly) of `s` whose JSON form fits in `room` bytes. */
function cutString(s: string, room: number): string {
  let n = Math.min(s.length, room);
  let cut = s.slice(0, n);
  while (n > 0 && Buffer.byteLength(JSON.stringify(cut), 'utf8') > room) {
    n = Math.floor(n * 0.8);
    cut = s.slice(0, n);
  }
  return cut;
}
