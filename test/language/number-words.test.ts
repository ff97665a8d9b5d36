import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  dateToWordsEn,
  digitsToWordsEn,
  mobileToWordsEn,
  numberToWordsEn,
  rupeesToWordsEn,
  wordsToNumberEn,
  yearToWordsEn,
} from '../../src/language/number-words-en.js';
import { dateToWordsHi, mobileToWordsHi, numberToWordsHi, rupeesToWordsHi, wordsToNumberHi, yearToWordsHi } from '../../src/language/number-words-hi.js';
import { digitsInText, spokenDigits } from '../../src/language/spoken-digits.js';

test('English: lakh and crore, not million', () => {
  assert.equal(numberToWordsEn(0), 'zero');
  assert.equal(numberToWordsEn(1005), 'one thousand and five');
  assert.equal(numberToWordsEn(1250), 'one thousand two hundred and fifty');
  assert.equal(numberToWordsEn(100000), 'one lakh');
  assert.equal(numberToWordsEn(1250000), 'twelve lakh fifty thousand');
  assert.equal(numberToWordsEn(12000000), 'one crore twenty lakh');
  assert.equal(numberToWordsEn(1000000000), 'one hundred crore');
  assert.equal(numberToWordsEn(123456789), 'twelve crore thirty-four lakh fifty-six thousand seven hundred and eighty-nine');
});

test('English: words heard come back as the number, for every number said', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), (n) => wordsToNumberEn(numberToWordsEn(n)) === n), { seed: 20261206, numRuns: 2000 });
  assert.equal(wordsToNumberEn('twelve lakh fifty thousand'), 1250000);
  assert.equal(wordsToNumberEn('a hundred and one'), 101);
  assert.equal(wordsToNumberEn('two lakhs'), 200000);
  assert.equal(wordsToNumberEn('one thousand crore'), 10_000_000_000);
  assert.equal(wordsToNumberEn('five twenty'), undefined);
  assert.equal(wordsToNumberEn('twenty twenty'), undefined);
  assert.equal(wordsToNumberEn('lakh lakh'), undefined);
  assert.equal(wordsToNumberEn('my order'), undefined);
  assert.equal(wordsToNumberEn(''), undefined);
});

test('English: rupees and paise, years, dates, digits and mobile numbers', () => {
  assert.equal(rupeesToWordsEn(1), 'one rupee');
  assert.equal(rupeesToWordsEn(1250.5), 'one thousand two hundred and fifty rupees and fifty paise');
  assert.equal(rupeesToWordsEn(0.75), 'seventy-five paise');
  assert.equal(rupeesToWordsEn(250000), 'two lakh fifty thousand rupees');
  assert.equal(yearToWordsEn(2026), 'twenty twenty-six');
  assert.equal(yearToWordsEn(2000), 'two thousand');
  assert.equal(yearToWordsEn(2005), 'two thousand five');
  assert.equal(yearToWordsEn(1999), 'nineteen ninety-nine');
  assert.equal(yearToWordsEn(1905), 'nineteen oh five');
  assert.equal(dateToWordsEn(6, 12, 2026), 'sixth December twenty twenty-six');
  assert.equal(dateToWordsEn(22, 3), 'twenty-second March');
  assert.equal(dateToWordsEn(30, 4), 'thirtieth April');
  assert.throws(() => dateToWordsEn(6, 13));
  assert.equal(digitsToWordsEn('47219'), 'four seven two one nine');
  assert.equal(mobileToWordsEn('+91 98765 43210'), 'nine eight seven six five, four three two one zero');
});

test('Hindi: every number 0-99 has its own word, then sau, hazaar, lakh, crore', () => {
  assert.equal(numberToWordsHi(0), 'शून्य');
  assert.equal(numberToWordsHi(49), 'उनचास');
  assert.equal(numberToWordsHi(99), 'निन्यानबे');
  assert.equal(numberToWordsHi(101), 'एक सौ एक');
  assert.equal(numberToWordsHi(1250), 'एक हज़ार दो सौ पचास');
  assert.equal(numberToWordsHi(1250000), 'बारह लाख पचास हज़ार');
  assert.equal(numberToWordsHi(10000000), 'एक करोड़');
  assert.equal(numberToWordsHi(123456789), 'बारह करोड़ चौंतीस लाख छप्पन हज़ार सात सौ नवासी');
  const words = new Set(Array.from({ length: 100 }, (_, i) => numberToWordsHi(i)));
  assert.equal(words.size, 100, 'the 100 words are distinct');
  fc.assert(fc.property(fc.integer({ min: 0, max: 999_999_999_999 }), (n) => wordsToNumberHi(numberToWordsHi(n)) === n), { seed: 20261206, numRuns: 2000 });
  assert.equal(wordsToNumberHi('बारह लाख पचास हजार'), 1250000, 'हजार without the nukta too');
  assert.equal(wordsToNumberHi('do hazaar'), 2000);
  assert.equal(wordsToNumberHi('दो तीन'), undefined);
});

test('Hindi: rupees, years, dates and mobile numbers', () => {
  assert.equal(rupeesToWordsHi(1), 'एक रुपया');
  assert.equal(rupeesToWordsHi(1250.5), 'एक हज़ार दो सौ पचास रुपये पचास पैसे');
  assert.equal(yearToWordsHi(1998), 'उन्नीस सौ अट्ठानबे');
  assert.equal(yearToWordsHi(2026), 'दो हज़ार छब्बीस');
  assert.equal(dateToWordsHi(6, 12, 2026), 'छह दिसंबर दो हज़ार छब्बीस');
  assert.equal(mobileToWordsHi('9876543210'), 'नौ आठ सात छह पाँच, चार तीन दो एक शून्य');
});

test('digits said one by one, in English, Hindi and Hinglish', () => {
  assert.equal(spokenDigits('four seven two one nine'), '47219');
  assert.equal(spokenDigits('four oh double seven'), '4077');
  assert.equal(spokenDigits('two five five triple eight'), '255888');
  assert.equal(spokenDigits('चार सात डबल दो'), '4722');
  assert.equal(spokenDigits('char saat do ek nau'), '47219');
  assert.equal(spokenDigits('double 5 3'), '553');
  assert.equal(spokenDigits('double double five'), undefined);
  assert.equal(spokenDigits('five double'), undefined);
  assert.equal(spokenDigits('my order is four'), undefined);
  assert.equal(spokenDigits(''), undefined);
});

test('runs of digits said one by one become the number in what the model reads; short runs and other words stay', () => {
  assert.equal(digitsInText('मेरा ऑर्डर चार सात डबल दो नौ है'), 'मेरा ऑर्डर 47229 है');
  assert.equal(digitsInText('order four seven two one nine please'), 'order 47219 please');
  assert.equal(digitsInText('my number is nine eight seven six five, four three two one zero.'), 'my number is 98765, 43210.');
  assert.equal(digitsInText('ek do teen char paanch'), '12345');
  assert.equal(digitsInText('double five three.'), '553.');
  assert.equal(digitsInText('order number 4 7 2 1 9'), 'order number 47219');
  assert.equal(digitsInText('कर दो'), 'कर दो', '"दो" is also "give"');
  assert.equal(digitsInText('what do you do'), 'what do you do');
  assert.equal(digitsInText('one two'), 'one two');
  assert.equal(digitsInText('I want two double rooms'), 'I want two double rooms');
});
