// Reply text made ready for a voice: the numbers in it spelt out the way an Indian caller expects to hear them.
// Synthesizers read "12,50,000" as "twelve comma fifty comma zero zero zero" or in millions, "9876543210" as
// nine billion..., and "#47219" as a number; a shop's customers expect lakh, a mobile number in two groups of
// five, an order number digit by digit, rupees with paise and dates as said.
import {
  dateToWordsEn,
  digitsToWordsEn,
  MONTHS_EN,
  mobileToWordsEn,
  numberToWordsEn,
  rupeesToWordsEn,
  yearToWordsEn,
} from './number-words-en.js';
import { dateToWordsHi, digitsToWordsHi, mobileToWordsHi, numberToWordsHi, rupeesToWordsHi, yearToWordsHi } from './number-words-hi.js';

export type NumberLanguage = 'en' | 'hi';

interface Speaker {
  number(n: number): string;
  year(n: number): string;
  rupees(n: number): string;
  date(d: number, m: number, y?: number): string;
  digits(s: string): string;
  mobile(s: string): string;
  point: string;
}

const SPEAKERS: Record<NumberLanguage, Speaker> = {
  en: { number: numberToWordsEn, year: yearToWordsEn, rupees: rupeesToWordsEn, date: dateToWordsEn, digits: digitsToWordsEn, mobile: mobileToWordsEn, point: 'point' },
  hi: { number: numberToWordsHi, year: yearToWordsHi, rupees: rupeesToWordsHi, date: dateToWordsHi, digits: digitsToWordsHi, mobile: mobileToWordsHi, point: 'दशमलव' },
};

/** The number language for a BCP 47 tag: Hindi for `hi*`, else English (Indian English phrasing). */
export function numberLanguage(tag: string | undefined): NumberLanguage {
  return tag?.toLowerCase().startsWith('hi') ? 'hi' : 'en';
}

const MONTH_INDEX = new Map(MONTHS_EN.flatMap((m, i) => [[m.toLowerCase(), i + 1] as const, [m.slice(0, 3).toLowerCase(), i + 1] as const]));
const AMOUNT = String.raw`(\d{1,3}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?`;

// Order matters: each rule sees only the text the rules before it left as digits.
const RULES: ReadonlyArray<{ re: RegExp; say: (s: Speaker, m: RegExpExecArray) => string | undefined }> = [
  // ₹1,250.50  Rs. 500  INR 12,50,000
  { re: new RegExp(String.raw`(?:₹|\bRs\.?|\bINR)\s?${AMOUNT}(?!\d)`, 'gi'), say: (s, m) => s.rupees(amount(m[1]!, m[2])) },
  // 1,250 rupees / 500 रुपये
  { re: new RegExp(String.raw`(?<!\d|\d[,.])${AMOUNT}\s?(?:rupees?|रुपये|रुपया|रुपए)`, 'gi'), say: (s, m) => s.rupees(amount(m[1]!, m[2])) },
  // +91 98765 43210, 098765-43210, 9876543210
  { re: /(?<![\d+])(?:\+91[\s-]?|0)?([6-9]\d{4})[\s-]?(\d{5})(?!\d)/g, say: (s, m) => s.mobile(m[1]! + m[2]!) },
  // 2026-12-06
  { re: /(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)/g, say: (s, m) => date(s, +m[3]!, +m[2]!, +m[1]!) },
  // 06/12/2026 (day first, as written in India)
  { re: /(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)/g, say: (s, m) => date(s, +m[1]!, +m[2]!, +m[3]!) },
  // 6 December 2026, 6th Dec
  {
    re: /(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\b\.?(?:,?\s+(\d{4}))?/gi,
    say: (s, m) => date(s, +m[1]!, MONTH_INDEX.get(m[2]!.toLowerCase().slice(0, m[2]!.length === 4 ? 3 : undefined)) ?? 0, m[3] ? +m[3] : undefined),
  },
  // landlines and other grouped numbers: 080-4749-1899, +1 415 555 0100: each group digit by digit
  {
    re: /(?<![\d+])(\+\d{1,3}[\s-]?|0)(\d{1,5}(?:[\s-]\d{2,5}){1,3})(?!\d|[,.]\d)/g,
    say: (s, m) => {
      const prefix = m[1]!.replace(/[+\s-]/g, '');
      const groups = m[2]!.split(/[\s-]+/);
      if (prefix === '0') groups[0] = `0${groups[0]}`;
      else groups.unshift(prefix);
      if (groups.join('').length < 8) return undefined;
      return groups.map((g) => s.digits(g)).join(', ');
    },
  },
  // order #47219, order number 47219, booking no. 123
  {
    re: /(?<![\p{L}\p{M}\p{N}])(order|booking|ticket|reference|ref|complaint|ऑर्डर|बुकिंग)(\s*(?:number|no\.?|id|नंबर|संख्या)?\s*#?\s*)(\d{3,})(?!\d)/giu,
    say: (s, m) => `${m[1]}${m[2]!.replace('#', '')}${s.digits(m[3]!)}`,
  },
  { re: /#\s?(\d+)\b/g, say: (s, m) => s.digits(m[1]!) },
  // PINs, codes, long numbers without grouping: digit by digit
  { re: /(?<!\d|\d[,.])(\d{5,})(?!\d|[,.]\d)/g, say: (s, m) => s.digits(m[1]!) },
  // Indian or Western grouping: 12,50,000 / 1,250,000
  { re: /(?<!\d|\d[,.])(\d{1,3}(?:,\d{2})*,\d{3}|\d{1,3}(?:,\d{3})+)(?!\d|[,.]\d)/g, say: (s, m) => s.number(+m[1]!.replace(/,/g, '')) },
  // years
  { re: /(?<!\d|\d[,.])(19\d{2}|20\d{2})(?!\d|[,.]\d)/g, say: (s, m) => s.year(+m[1]!) },
  // decimals: 3.5
  { re: /(?<!\d|\d[,.])(\d{1,7})\.(\d+)(?!\d|[,.]\d)/g, say: (s, m) => `${s.number(+m[1]!)} ${s.point} ${s.digits(m[2]!)}` },
  // any other whole number
  { re: /(?<!\d|\d[,.])(\d{1,4})(?!\d|[,.]\d)/g, say: (s, m) => s.number(+m[1]!) },
  // whatever digits are left (odd punctuation between them): one by one, never as digits
  { re: /\d+/g, say: (s, m) => s.digits(m[0]!) },
];

function amount(whole: string, fraction: string | undefined): number {
  return Number(whole.replace(/,/g, '')) + (fraction ? Number(fraction) : 0);
}

function date(s: Speaker, day: number, month: number, year?: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return s.date(day, month, year);
}

/** `text` with its numbers, amounts, phone numbers, order numbers and dates in words for `language`. */
export function speakableText(text: string, language: NumberLanguage): string {
  const s = SPEAKERS[language];
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.re, (...args) => {
      const m = args.slice(0, -2) as unknown as RegExpExecArray;
      try {
        return rule.say(s, m) ?? m[0]!;
      } catch {
        return m[0]!; // too large to say as a number: a later rule reads it digit by digit
      }
    });
  }
  return out;
}
