import { randomBytes } from 'node:crypto';

/** Exotel call/stream ids are 32 lowercase hex characters. */
export function randomSid(): string {
  return randomBytes(16).toString('hex');
}
