// Digits as callers say them ("four oh double seven") and as the agent should say them back.

export const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

/** Indian (and British) English repeats: "double seven" = 77. */
export const REPEAT_WORDS: Readonly<Record<string, number>> = { double: 2, triple: 3 };

/** Digits for a run of digit words; null when a word is not part of a digit string. */
export function wordsToDigits(words: readonly string[]): string | null {
  let out = '';
  let repeat = 1;
  for (const word of words) {
    const r = REPEAT_WORDS[word];
    if (r !== undefined) {
      if (repeat !== 1) return null;
      repeat = r;
      continue;
    }
    const d = DIGIT_WORDS[word];
    if (d === undefined) return null;
    out += d.repeat(repeat);
    repeat = 1;
  }
  return repeat === 1 && out.length > 0 ? out : null;
}

/** "12345" -> "1 2 3 4 5": synthesizers then read it digit by digit, not as twelve thousand... */
export function speakDigits(digits: string): string {
  return digits.split('').join(' ');
}
