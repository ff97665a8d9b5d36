import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { numberLanguage, speakableText } from '../../src/language/speakable-text.js';

const cases: Array<[string, string, string]> = [
  ['Your refund of ₹1,250.50 is on its way.', 'Your refund of one thousand two hundred and fifty rupees and fifty paise is on its way.', 'Your refund of एक हज़ार दो सौ पचास रुपये पचास पैसे is on its way.'],
  ['It costs Rs. 12,50,000 only', 'It costs twelve lakh fifty thousand rupees only', 'It costs बारह लाख पचास हज़ार रुपये only'],
  ['That is 500 rupees.', 'That is five hundred rupees.', 'That is पाँच सौ रुपये.'],
  ['Call +91 98765 43210.', 'Call nine eight seven six five, four three two one zero.', 'Call नौ आठ सात छह पाँच, चार तीन दो एक शून्य.'],
  ['Or 080-4749-1899.', 'Or zero eight zero, four seven four nine, one eight nine nine.', 'Or शून्य आठ शून्य, चार सात चार नौ, एक आठ नौ नौ.'],
  ['Your order #47219 ships on 2026-12-06.', 'Your order four seven two one nine ships on sixth December twenty twenty-six.', 'Your order चार सात दो एक नौ ships on छह दिसंबर दो हज़ार छब्बीस.'],
  ['Order number 00472, delivered 06/12/2026.', 'Order number zero zero four seven two, delivered sixth December twenty twenty-six.', 'Order number शून्य शून्य चार सात दो, delivered छह दिसंबर दो हज़ार छब्बीस.'],
  ['We open at 10 and close at 8, since 1998.', 'We open at ten and close at eight, since nineteen ninety-eight.', 'We open at दस and close at आठ, since उन्नीस सौ अट्ठानबे.'],
  ['By 6th Dec, 3.5 stars.', 'By sixth December, three point five stars.', 'By छह दिसंबर, तीन दशमलव पाँच stars.'],
  ['PIN 560001', 'PIN five six zero zero zero one', 'PIN पाँच छह शून्य शून्य शून्य एक'],
  ['आपका ऑर्डर 4721 है', 'आपका ऑर्डर four seven two one है', 'आपका ऑर्डर चार सात दो एक है'],
];

test('numbers, amounts, phone and order numbers, dates and decimals are spelt out per language', () => {
  for (const [text, en, hi] of cases) {
    assert.equal(speakableText(text, 'en'), en);
    assert.equal(speakableText(text, 'hi'), hi);
  }
});

test('text without digits is left alone, and no digit survives', () => {
  assert.equal(speakableText('Hello, how can I help?', 'en'), 'Hello, how can I help?');
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.nat(10 ** 12).map(String), fc.constantFrom(' ', ',', '.', '-', '/', '₹', 'Rs ', '#', 'order ', 'rupees', 'a')), { maxLength: 20 }), (parts) => {
      const out = speakableText(parts.join(''), 'en');
      return !/\d/.test(out);
    }),
    { seed: 7, numRuns: 1000 },
  );
});

test('the language of a BCP 47 tag', () => {
  assert.equal(numberLanguage('hi-IN'), 'hi');
  assert.equal(numberLanguage('en-IN'), 'en');
  assert.equal(numberLanguage(undefined), 'en');
});
