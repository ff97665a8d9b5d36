/**
 * Phone numbers as API users type them, turned into one canonical form (E.164, `+91XXXXXXXXXX` for India).
 *
 * Accepted (spec §7.2, §11.15): E.164 (`+919876543210`, any country: `+` and 8–15 digits), Indian national
 * forms (`09876543210`, `9876543210`, `919876543210`), and any of these with spaces, dashes, dots or
 * parentheses. Indian landlines with an STD code (`080 4749 1899`) have the same shape as mobiles: 10
 * significant digits, so they are valid too. Everything else is refused with a reason.
 */

export class PhoneNumberError extends Error {
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid phone number ${JSON.stringify(input)}: ${reason}`);
    this.name = 'PhoneNumberError';
  }
}

/** The national significant number of an Indian phone: 10 digits, never starting with 0. */
const INDIAN_NSN = /^[1-9]\d{9}$/;
const SEPARATORS = /[\s\-().]/g;

/** Canonical E.164 form of a user-given number; throws `PhoneNumberError` saying what is wrong. */
export function normalizePhoneNumber(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw new PhoneNumberError(input, 'it is empty');
  if (/[a-z]/i.test(trimmed)) throw new PhoneNumberError(input, 'letters are not allowed');
  const compact = trimmed.replace(SEPARATORS, '');
  const bad = /[^+\d]/.exec(compact);
  if (bad) throw new PhoneNumberError(input, `unexpected character ${JSON.stringify(bad[0])}`);
  if (compact.lastIndexOf('+') > 0) throw new PhoneNumberError(input, "'+' is only allowed at the start");

  if (compact.startsWith('+')) return international(input, compact.slice(1));
  // `00` is the international prefix, and a typo'd national number looks the same: ask for '+' instead of guessing.
  if (compact.startsWith('00')) throw new PhoneNumberError(input, "starts with 00: write international numbers with '+' and the country code");
  return indianNational(input, compact);
}

function international(input: string, digits: string): string {
  if (digits.length === 0) throw new PhoneNumberError(input, "no digits after '+'");
  if (digits.startsWith('0')) throw new PhoneNumberError(input, 'a country code never starts with 0');
  if (digits.startsWith('91')) {
    const nsn = digits.slice(2);
    if (nsn.length < 10) throw new PhoneNumberError(input, `too few digits: an Indian number has 10 digits after +91, got ${nsn.length}`);
    if (nsn.length > 10) throw new PhoneNumberError(input, `too many digits: an Indian number has 10 digits after +91, got ${nsn.length}`);
    if (!INDIAN_NSN.test(nsn)) throw new PhoneNumberError(input, 'an Indian number cannot start with 0 after +91');
    return `+91${nsn}`;
  }
  if (digits.length < 8) throw new PhoneNumberError(input, `too few digits: an international number has 8 to 15 digits, got ${digits.length}`);
  if (digits.length > 15) throw new PhoneNumberError(input, `too many digits: an international number has 8 to 15 digits, got ${digits.length}`);
  return `+${digits}`;
}

function indianNational(input: string, digits: string): string {
  let nsn: string;
  if (digits.length === 11 && digits.startsWith('0')) nsn = digits.slice(1);
  else if (digits.length === 12 && digits.startsWith('91')) nsn = digits.slice(2);
  else if (digits.length === 10) nsn = digits;
  else if (digits.length < 10) {
    throw new PhoneNumberError(input, `too few digits: an Indian number has 10 digits (or 0 and 10 digits), got ${digits.length}`);
  } else {
    throw new PhoneNumberError(
      input,
      `too many digits for an Indian number (${digits.length}); write other countries' numbers with '+' and the country code`,
    );
  }
  if (!INDIAN_NSN.test(nsn)) {
    throw new PhoneNumberError(input, digits.length === 10 ? 'a 10-digit Indian number cannot start with 0' : 'the 10 digits of an Indian number cannot start with 0');
  }
  return `+91${nsn}`;
}

/**
 * The form of a number to send to Exotel: `0XXXXXXXXXX` for Indian numbers, E.164 for the rest.
 * Exotel accepts E.164 or 0-prefixed national for the dialled number (spec §7.2), but the only form ever shown
 * for `CallerId` (an ExoPhone, as the Exotel dashboard lists it) is 0-prefixed, Exotel's own dograh provider
 * converts `+91…` to `0…` before dialling ([S19]), and Exotel reports numbers back that way (§7.3, §15.10).
 * So one form serves both fields; other countries have no national form Exotel would understand.
 */
export function toExotelNumber(input: string): string {
  const e164 = normalizePhoneNumber(input);
  return e164.startsWith('+91') ? `0${e164.slice(3)}` : e164;
}

/** Whether two user- or Exotel-given numbers are the same line (false when either is not a valid number). */
export function sameNumber(a: string, b: string): boolean {
  try {
    return normalizePhoneNumber(a) === normalizePhoneNumber(b);
  } catch {
    return false;
  }
}
