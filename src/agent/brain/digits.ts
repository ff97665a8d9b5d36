// The digit words the offline recogniser listens for ("four oh double seven"; language/spoken-digits.ts reads
// them back) and digits as the agent says them back.

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

/** "12345" -> "1 2 3 4 5": synthesizers then read it digit by digit, not as twelve thousand... */
export function speakDigits(digits: string): string {
  return digits.split('').join(' ');
}
