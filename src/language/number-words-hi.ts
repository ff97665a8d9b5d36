// Numbers in Hindi as spoken: 0-99 are each their own word (no rule builds them), then सौ, हज़ार, लाख, करोड़.
// Both ways: words to speak, and words heard back (Devanagari, and the Romanized Hinglish callers' digits
// come out as from some recognisers: "char saat do").

// prettier-ignore
const HI_0_99 = [
  'शून्य', 'एक', 'दो', 'तीन', 'चार', 'पाँच', 'छह', 'सात', 'आठ', 'नौ',
  'दस', 'ग्यारह', 'बारह', 'तेरह', 'चौदह', 'पंद्रह', 'सोलह', 'सत्रह', 'अठारह', 'उन्नीस',
  'बीस', 'इक्कीस', 'बाईस', 'तेईस', 'चौबीस', 'पच्चीस', 'छब्बीस', 'सत्ताईस', 'अट्ठाईस', 'उनतीस',
  'तीस', 'इकतीस', 'बत्तीस', 'तैंतीस', 'चौंतीस', 'पैंतीस', 'छत्तीस', 'सैंतीस', 'अड़तीस', 'उनतालीस',
  'चालीस', 'इकतालीस', 'बयालीस', 'तैंतालीस', 'चवालीस', 'पैंतालीस', 'छियालीस', 'सैंतालीस', 'अड़तालीस', 'उनचास',
  'पचास', 'इक्यावन', 'बावन', 'तिरेपन', 'चौवन', 'पचपन', 'छप्पन', 'सत्तावन', 'अट्ठावन', 'उनसठ',
  'साठ', 'इकसठ', 'बासठ', 'तिरेसठ', 'चौंसठ', 'पैंसठ', 'छियासठ', 'सड़सठ', 'अड़सठ', 'उनहत्तर',
  'सत्तर', 'इकहत्तर', 'बहत्तर', 'तिहत्तर', 'चौहत्तर', 'पचहत्तर', 'छिहत्तर', 'सतहत्तर', 'अठहत्तर', 'उन्यासी',
  'अस्सी', 'इक्यासी', 'बयासी', 'तिरासी', 'चौरासी', 'पचासी', 'छियासी', 'सत्तासी', 'अट्ठासी', 'नवासी',
  'नब्बे', 'इक्यानबे', 'बानबे', 'तिरानबे', 'चौरानबे', 'पचानबे', 'छियानबे', 'सत्तानबे', 'अट्ठानबे', 'निन्यानबे',
];
export const MONTHS_HI = ['जनवरी', 'फ़रवरी', 'मार्च', 'अप्रैल', 'मई', 'जून', 'जुलाई', 'अगस्त', 'सितंबर', 'अक्टूबर', 'नवंबर', 'दिसंबर'];

function below1000(n: number): string {
  const h = Math.floor(n / 100);
  const r = n % 100;
  const parts = [];
  if (h) parts.push(`${HI_0_99[h]} सौ`);
  if (r || !h) parts.push(HI_0_99[r]!);
  return parts.join(' ');
}

/** A whole number in Hindi words: 1250000 -> "बारह लाख पचास हज़ार". */
export function numberToWordsHi(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  if (value < 0) return `माइनस ${numberToWordsHi(-value)}`;
  if (value === 0) return HI_0_99[0]!;
  const crore = Math.floor(value / 1e7);
  let rest = value % 1e7;
  const lakh = Math.floor(rest / 1e5);
  rest %= 1e5;
  const thousand = Math.floor(rest / 1000);
  rest %= 1000;
  const parts: string[] = [];
  if (crore) parts.push(`${numberToWordsHi(crore)} करोड़`);
  if (lakh) parts.push(`${HI_0_99[lakh]} लाख`);
  if (thousand) parts.push(`${HI_0_99[thousand]} हज़ार`);
  if (rest) parts.push(below1000(rest));
  return parts.join(' ');
}

/** Years as said: 1998 "उन्नीस सौ अट्ठानबे" (hundreds), 2026 "दो हज़ार छब्बीस". */
export function yearToWordsHi(year: number): string {
  if (!Number.isInteger(year) || year < 1100 || year > 1999) return numberToWordsHi(year);
  const lo = year % 100;
  return `${HI_0_99[Math.floor(year / 100)]} सौ${lo ? ` ${HI_0_99[lo]}` : ''}`;
}

/** "एक हज़ार दो सौ पचास रुपये पचास पैसे"; one rupee is "एक रुपया". */
export function rupeesToWordsHi(amount: number): string {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`not an amount: ${amount}`);
  const paiseTotal = Math.round(amount * 100);
  const rupees = Math.floor(paiseTotal / 100);
  const paise = paiseTotal % 100;
  const r = `${numberToWordsHi(rupees)} ${rupees === 1 ? 'रुपया' : 'रुपये'}`;
  if (!paise) return r;
  const p = `${numberToWordsHi(paise)} पैसे`;
  return rupees ? `${r} ${p}` : p;
}

/** "6 दिसंबर 2026" as said: "छह दिसंबर दो हज़ार छब्बीस" (Hindi dates use the cardinal day). */
export function dateToWordsHi(day: number, month: number, year?: number): string {
  const m = MONTHS_HI[month - 1];
  if (!m || day < 1 || day > 31) throw new RangeError(`not a date: ${day}/${month}`);
  return year === undefined ? `${HI_0_99[day]} ${m}` : `${HI_0_99[day]} ${m} ${yearToWordsHi(year)}`;
}

/** Digit by digit: "472" -> "चार सात दो". */
export function digitsToWordsHi(digits: string): string {
  return [...digits.replace(/\D/g, '')].map((d) => HI_0_99[Number(d)]).join(' ');
}

/** A ten-digit mobile number in two groups of five. */
export function mobileToWordsHi(number: string): string {
  const d = number.replace(/\D/g, '').slice(-10);
  return `${digitsToWordsHi(d.slice(0, 5))}, ${digitsToWordsHi(d.slice(5))}`;
}

// ---- words heard -> number ------------------------------------------------------------------

// Romanized spellings callers' words arrive in (transliterating recognisers, typed chat), digits and scales.
const ROMAN: ReadonlyArray<[number, string[]]> = [
  [0, ['shunya', 'shoonya', 'sunya', 'zero']],
  [1, ['ek']],
  [2, ['do']],
  [3, ['teen', 'tin']],
  [4, ['char', 'chaar']],
  [5, ['paanch', 'panch', 'pach']],
  [6, ['chhe', 'chhah', 'che', 'cheh', 'chah']],
  [7, ['saat', 'sat']],
  [8, ['aath', 'ath']],
  [9, ['nau']],
  [10, ['das']],
];
const SMALL_HI = new Map<string, number>([
  ...HI_0_99.map((w, i) => [w, i] as const),
  ['पांच', 5], ['छः', 6], ['छै', 6], ['सुन्न', 0], ['ज़ीरो', 0], ['जीरो', 0],
  ...ROMAN.flatMap(([n, ws]) => ws.map((w) => [w, n] as const)),
]);
const SCALES_HI = new Map<string, number>([
  ['सौ', 100], ['sau', 100],
  ['हज़ार', 1000], ['हजार', 1000], ['hazaar', 1000], ['hazar', 1000], ['hajar', 1000],
  ['लाख', 1e5], ['lakh', 1e5], ['lac', 1e5], ['laakh', 1e5],
  ['करोड़', 1e7], ['करोड', 1e7], ['crore', 1e7], ['karod', 1e7], ['karor', 1e7],
]);
const REPEATS_HI = new Map<string, number>([['डबल', 2], ['double', 2], ['ट्रिपल', 3], ['triple', 3]]);

export function wordsOf(text: string): string[] {
  return text.toLowerCase().normalize('NFC').split(/[\s,।.-]+/).filter(Boolean);
}

/** A number from Hindi words ("बारह लाख पचास हज़ार", "do hazaar pachees" is not covered: Romanized 11-99 vary too much). */
export function wordsToNumberHi(text: string): number | undefined {
  let total = 0;
  let current = 0;
  let lastScale = Infinity;
  let seen = false;
  let afterNumber = false;
  for (const w of wordsOf(text)) {
    const small = SMALL_HI.get(w);
    if (small !== undefined) {
      if (afterNumber) return undefined; // Hindi never joins two number words without a scale between
      current += small;
      afterNumber = true;
      seen = true;
      continue;
    }
    const scale = SCALES_HI.get(w);
    if (scale === undefined) return undefined;
    afterNumber = false;
    seen = true;
    if (scale === 100) {
      if (current >= 100) return undefined;
      current = (current || 1) * 100;
      afterNumber = false;
    } else if (total > 0 && scale > lastScale) {
      total = (total + current) * scale;
      current = 0;
      lastScale = scale;
    } else {
      if (scale === lastScale) return undefined;
      total += (current || 1) * scale;
      current = 0;
      lastScale = scale;
    }
  }
  return seen ? total + current : undefined;
}

/** Hindi and Romanized digit words (0-9), for digit strings said one by one. */
export const HINDI_DIGIT_WORDS: ReadonlyMap<string, string> = new Map(
  [...SMALL_HI].filter(([, n]) => n < 10).map(([w, n]) => [w, String(n)]),
);
/** "डबल पाँच" = 55, as in Indian English. */
export const HINDI_REPEAT_WORDS: ReadonlyMap<string, number> = REPEATS_HI;
