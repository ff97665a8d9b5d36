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

/** Fewer digits than this in a row are words of the sentence ("दो" is also "give", "do" an English verb). */
const MIN_RUN_DIGITS = 3;

/**
 * `text` with each run of digits said one by one ("मेरा ऑर्डर चार सात डबल दो नौ है", "order four seven two one nine")
 * written as digits ("मेरा ऑर्डर 47229 है"), so whoever reads it (a model filling a tool's `order_id`) gets the number
 * the caller said. Runs shorter than three digits are left as words.
 */
/** How many digits the longest run of digits said one by one in `text` holds ("my order is four seven" -> 2). */
export function longestDigitRun(text: string): number {
  const words = text.trim().split(/\s+/);
  let best = 0;
  for (let i = 0; i < words.length; i++) {
    for (let j = words.length; j > i; j--) {
      const digits = spokenDigits(words.slice(i, j).join(' '));
      if (digits !== undefined) {
        best = Math.max(best, digits.length);
        break;
      }
    }
  }
  return best;
}

export function digitsInText(text: string): string {
  const tokens = text.split(/(\s+)/);
  const out: string[] = [];
  let run: string[] = [];
  const close = () => {
    // The longest prefix that is a digit string: a trailing "double" belongs to the words after it.
    let end = run.length;
    while (end > 0 && spokenDigits(run.slice(0, end).join(' ')) === undefined) end--;
    const digits = end > 0 ? spokenDigits(run.slice(0, end).join(' '))! : '';
    if (digits.length >= MIN_RUN_DIGITS) out.push(digits, ...(end < run.length ? [' ', run.slice(end).join(' ')] : []));
    else if (run.length > 0) out.push(run.join(' '));
    run = [];
  };
  for (const token of tokens) {
    if (/^\s+$/.test(token)) {
      if (run.length === 0) out.push(token);
      continue;
    }
    const word = /^([^\p{L}\p{M}\p{N}]*)([\p{L}\p{M}\p{N}]+)([^\p{L}\p{M}\p{N}]*)$/u.exec(token);
    const bare = word?.[2]?.toLowerCase();
    const isDigitWord = bare !== undefined && !word![1] && (DIGITS.has(bare) || REPEATS.has(bare) || /^\d$/.test(bare));
    if (isDigitWord) {
      run.push(bare);
      if (word![3]) {
        // Punctuation after the word ends the run ("... नौ।").
        close();
        out.push(word![3]);
      }
      continue;
    }
    if (run.length > 0) {
      close();
      out.push(' ');
    }
    out.push(token);
  }
  close();
  return out.join('');
}
