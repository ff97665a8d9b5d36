import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePhoneNumber, PhoneNumberError, sameNumber, toExotelNumber } from '../../src/exotel/phone-number.js';

const VALID: Array<[input: string, e164: string]> = [
  ['+919876543210', '+919876543210'],
  ['+91 98765 43210', '+919876543210'],
  ['+91-98765-43210', '+919876543210'],
  ['09876543210', '+919876543210'],
  ['098765 43210', '+919876543210'],
  ['9876543210', '+919876543210'],
  ['98765-43210', '+919876543210'],
  ['919876543210', '+919876543210'],
  ['  +91 (98765) 43210  ', '+919876543210'],
  // Landlines with an STD code: 0 + 10 digits in total, like mobiles.
  ['08047491899', '+918047491899'],
  ['(080) 4749-1899', '+918047491899'],
  ['011-2345-6789', '+911123456789'],
  ['+911123456789', '+911123456789'],
  // A 10-digit national number that happens to begin with 91 is still a national number.
  ['9123456789', '+919123456789'],
  // Other countries pass through when well-formed.
  ['+1 (415) 555-2671', '+14155552671'],
  ['+44 20 7946 0958', '+442079460958'],
  ['+6512345678', '+6512345678'],
  ['+65.1234.5678', '+6512345678'],
  ['+123456789012345', '+123456789012345'],
];

const INVALID: Array<[input: string, reason: RegExp]> = [
  ['', /empty/],
  ['   ', /empty/],
  ['98765abcde', /letters are not allowed/],
  ['+91 98765 4321O', /letters are not allowed/],
  ['call me', /letters are not allowed/],
  ['98765#43210', /unexpected character "#"/],
  ['98765_43210', /unexpected character "_"/],
  ['98765+43210', /only allowed at the start/],
  ['+', /no digits after/],
  ['987654321', /too few digits.*got 9/],
  ['0987654321', /cannot start with 0/],
  ['12345', /too few digits.*got 5/],
  ['+9198765432', /too few digits.*after \+91, got 8/],
  ['+9198765432101', /too many digits.*after \+91, got 11/],
  ['+9109876543210', /too many digits/],
  ['+910987654321', /cannot start with 0 after \+91/],
  ['00987654321', /starts with 00/],
  ['0091 98765 43210', /starts with 00.*'\+'/],
  ['91987654321', /too many digits for an Indian number \(11\)/],
  ['9198765432101', /too many digits.*'\+' and the country code/],
  ['+1234567', /too few digits.*8 to 15.*got 7/],
  ['+1234567890123456', /too many digits.*8 to 15.*got 16/],
  ['+0123456789', /country code never starts with 0/],
];

for (const [input, e164] of VALID) {
  test(`normalizes ${JSON.stringify(input)} -> ${e164}`, () => {
    assert.equal(normalizePhoneNumber(input), e164);
  });
}

for (const [input, reason] of INVALID) {
  test(`refuses ${JSON.stringify(input)} (${reason.source})`, () => {
    assert.throws(
      () => normalizePhoneNumber(input),
      (err: unknown) => {
        assert.ok(err instanceof PhoneNumberError);
        assert.equal(err.input, input);
        assert.match(err.reason, reason);
        assert.ok(err.message.includes(JSON.stringify(input)), 'the message names the number');
        return true;
      },
    );
  });
}

test('toExotelNumber sends Indian numbers 0-prefixed and other countries in E.164', () => {
  assert.equal(toExotelNumber('+91 98765 43210'), '09876543210');
  assert.equal(toExotelNumber('9876543210'), '09876543210');
  assert.equal(toExotelNumber('+91 80 4749 1899'), '08047491899');
  assert.equal(toExotelNumber('08047491899'), '08047491899');
  assert.equal(toExotelNumber('+1 415 555 2671'), '+14155552671');
  assert.throws(() => toExotelNumber('12'), PhoneNumberError);
});

test('sameNumber compares lines across spellings and is false for invalid input', () => {
  const table: Array<[string, string, boolean]> = [
    ['+919876543210', '09876543210', true],
    ['9876543210', '91 98765 43210', true],
    ['08047491899', '+91 80 4749 1899', true],
    ['+919876543210', '+919876543211', false],
    ['+14155552671', '4155552671', false],
    ['abc', 'abc', false],
    ['', '', false],
  ];
  for (const [a, b, same] of table) assert.equal(sameNumber(a, b), same, `${a} vs ${b}`);
});
