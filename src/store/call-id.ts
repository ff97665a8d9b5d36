// Call ids are ULIDs: 26 Crockford base32 characters, 48-bit millisecond time then 80 random bits,
// so ids sort by creation time (handy as the list tie-breaker) and are safe in URLs.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const random = new Uint8Array(16);

export function newCallId(now: number): string {
  let time = '';
  let t = Math.max(0, Math.floor(now));
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  randomFillSync(random);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[random[i] & 31];
  return time + rand;
}
