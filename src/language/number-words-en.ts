// Numbers as an Indian English speaker says them: lakh and crore, not million and billion (12,50,000 is
// "twelve lakh fifty thousand"), rupees and paise, years as pairs ("twenty twenty-six"). Both ways: words to
// say, and words heard back to a number.

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
export const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function below100(n: number): string {
  if (n < 20) return ONES[n]!;
  const t = TENS[Math.floor(n / 10)]!;
  return n % 10 ? `${t}-${ONES[n % 10]}` : t;
}

function below1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (!h) return below100(r);
  return r ? `${ONES[h]} hundred and ${below100(r)}` : `${ONES[h]} hundred`;
}

/** A whole number in words with the Indian system: crore (10^7), lakh (10^5), thousand, hundred. */
export function numberToWordsEn(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  if (value < 0) return `minus ${numberToWordsEn(-value)}`;
  if (value === 0) return 'zero';
  const crore = Math.floor(value / 1e7);
  let rest = value % 1e7;
  const lakh = Math.floor(rest / 1e5);
  rest %= 1e5;
  const thousand = Math.floor(rest / 1000);
  rest %= 1000;
  const parts: string[] = [];
  // Beyond 99 crore Indians say "hundred crore", "thousand crore": the crore count is itself a number.
  if (crore) parts.push(`${numberToWordsEn(crore)} crore`);
  if (lakh) parts.push(`${below100(lakh)} lakh`);
  if (thousand) parts.push(`${below100(thousand)} thousand`);
  if (rest) parts.push(parts.length && rest < 100 ? `and ${below100(rest)}` : below1000(rest));
  return parts.join(' ');
}

/** A rupee amount: "one thousand two hundred and fifty rupees and fifty paise"; one rupee is singular. */
export function rupeesToWordsEn(amount: number): string {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`not an amount: ${amount}`);
  const paiseTotal = Math.round(amount * 100);
  const rupees = Math.floor(paiseTotal / 100);
  const paise = paiseTotal % 100;
  const r = `${numberToWordsEn(rupees)} ${rupees === 1 ? 'rupee' : 'rupees'}`;
  if (!paise) return r;
  const p = `${numberToWordsEn(paise)} paise`;
  return rupees ? `${r} and ${p}` : p;
}

/** Years as said: 2026 "twenty twenty-six", 2000 "two thousand", 2005 "two thousand five", 1999 "nineteen ninety-nine". */
export function yearToWordsEn(year: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 2999) return numberToWordsEn(year);
  const hi = Math.floor(year / 100);
  const lo = year % 100;
  if (year % 1000 < 10 && hi % 10 === 0) return year % 1000 ? `${ONES[hi / 10]} thousand ${ONES[lo]}` : `${ONES[hi / 10]} thousand`;
  if (lo === 0) return `${below100(hi)} hundred`;
  return `${below100(hi)} ${lo < 10 ? `oh ${ONES[lo]}` : below100(lo)}`;
}

function ordinal(n: number): string {
  const w = below100(n);
  const irregular: Record<string, string> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };
  const last = w.split('-').pop()!;
  const head = w.slice(0, w.length - last.length);
  if (irregular[last]) return head + irregular[last];
  if (last.endsWith('y')) return `${head}${last.slice(0, -1)}ieth`;
  return `${head}${last}th`;
}

/** "6 December 2026" as said in India: "sixth December twenty twenty-six". Month is 1-12. */
export function dateToWordsEn(day: number, month: number, year?: number): string {
  const m = MONTHS_EN[month - 1];
  if (!m || day < 1 || day > 31) throw new RangeError(`not a date: ${day}/${month}`);
  return year === undefined ? `${ordinal(day)} ${m}` : `${ordinal(day)} ${m} ${yearToWordsEn(year)}`;
}

const DIGIT_EN = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** Digit by digit, as order numbers are read: "4 7 2" -> "four seven two". Non-digits are dropped. */
export function digitsToWordsEn(digits: string): string {
  return [...digits.replace(/\D/g, '')].map((d) => DIGIT_EN[Number(d)]).join(' ');
}

/** A ten-digit mobile number read in two groups of five (how Indians read them back): "98765 43210". */
export function mobileToWordsEn(number: string): string {
  const d = number.replace(/\D/g, '').slice(-10);
  return `${digitsToWordsEn(d.slice(0, 5))}, ${digitsToWordsEn(d.slice(5))}`;
}

// ---- words heard -> number ------------------------------------------------------------------

const SMALL = new Map<string, number>([...ONES.map((w, i) => [w, i] as const), ...TENS.flatMap((w, i) => (w ? [[w, i * 10] as const] : [])), ['oh', 0], ['a', 1]]);
const SCALES = new Map<string, number>([['hundred', 100], ['thousand', 1000], ['lakh', 1e5], ['lakhs', 1e5], ['lac', 1e5], ['lacs', 1e5], ['million', 1e6], ['crore', 1e7], ['crores', 1e7], ['billion', 1e9]]);

/**
 * A number from the words a recogniser heard ("twelve lakh fifty thousand", "two thousand and five",
 * "one crore twenty lakh"). Undefined when the words are not one number. Hyphens and "and" are allowed.
 */
export function wordsToNumberEn(text: string): number | undefined {
  const words = text.toLowerCase().replace(/-/g, ' ').split(/[\s,]+/).filter((w) => w && w !== 'and');
  let total = 0; // groups closed by thousand, lakh or crore
  let current = 0; // the number below the next scale word
  let lastScale = Infinity; // scales must fall ("lakh ... thousand"), unless one multiplies all ("thousand crore")
  let seen = false;
  let last: 'small' | 'ten' | 'hundred' | 'scale' | undefined;
  for (const w of words) {
    const small = SMALL.get(w);
    if (small !== undefined) {
      // "twenty five" joins; "five twenty" or "twelve three" does not.
      const joins = last === undefined || last === 'hundred' || last === 'scale' || (last === 'ten' && small < 10 && small > 0);
      if (!joins) return undefined;
      current += small;
      last = small >= 20 && small % 10 === 0 ? 'ten' : 'small';
      seen = true;
      continue;
    }
    const scale = SCALES.get(w);
    if (scale === undefined) return undefined;
    if (scale === 100) {
      if (last === 'hundred' || current % 100 !== 0 && current >= 100) return undefined;
      current = (current || 1) * 100;
      last = 'hundred';
    } else if (total > 0 && scale > lastScale) {
      total = (total + current) * scale; // "one thousand crore", "nine thousand nine hundred crore"
      current = 0;
      lastScale = scale;
      last = 'scale';
    } else {
      if (scale === lastScale) return undefined;
      total += (current || 1) * scale;
      current = 0;
      lastScale = scale;
      last = 'scale';
    }
    seen = true;
  }
  return seen ? total + current : undefined;
}
