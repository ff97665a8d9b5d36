// Digit strings as callers say them, one digit at a time, in English, Hindi or a mix ("four seven double two",
// "चार सात डबल दो", "char saat do", "oh" for zero). One parser for every language the agents speak.
import { HINDI_DIGIT_WORDS, HINDI_REPEAT_WORDS, wordsOf } from './number-words-hi.js';

const ENGLISH_DIGITS: ReadonlyMap<string, string> = new Map(
  ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].map((w, i) => [w, String(i)]),
);
const DIGITS = new Map([...ENGLISH_DIGITS, ['oh', '0'], ['o', '0'], ...HINDI_DIGIT_WORDS]);
const REPEATS = new Map([...HINDI_REPEAT_WORDS]);

/** The digits a run of words says; undefined when any word is not a digit, a repeat or a numeral. */
export function spokenDigits(text: string): string | undefined {
  let out = '';
  let repeat = 1;
  for (const w of wordsOf(text)) {
    const r = REPEATS.get(w);
    if (r !== undefined) {
      if (repeat !== 1) return undefined;
      repeat = r;
      continue;
    }
    const d = DIGITS.get(w) ?? (/^\d+$/.test(w) ? w : undefined);
    if (d === undefined) return undefined;
    // "double 5" repeats one digit; a repeat before a many-digit numeral ("double 55") is not a digit string.
    if (repeat !== 1 && d.length !== 1) return undefined;
    out += d.repeat(repeat);
    repeat = 1;
  }
  return repeat === 1 && out ? out : undefined;
}
