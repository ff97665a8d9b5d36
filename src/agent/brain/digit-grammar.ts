// JSGF rules for a digit slot that admit only its length: "four seven double two nine" is five digits, so
// "two five five double eight" fits a five-digit slot but "two five five five double eight" does not. Each
// rule <slot_N> says exactly N digits: a digit then N-1, "double" digit then N-2, or "triple" digit then N-3.
import type { SlotSpec } from '../definition/schema.js';
import { DIGIT_WORDS, REPEAT_WORDS } from './digits.js';

/** Beyond this length the repeats are not spelled out (the rules grow like tribonacci numbers): digits one by one. */
const MAX_EXACT_DIGITS = 12;

export const DIGIT_RULE = 'digit';

function repeatsByCount(): Map<number, string> {
  const out = new Map<number, string>();
  for (const [word, n] of Object.entries(REPEAT_WORDS)) out.set(n, word);
  return out;
}

/** Name of the rule that says exactly `n` digits of `slot`. */
export function exactRule(slot: SlotSpec, n: number): string {
  return `${slot.name}_${n}`;
}

/** The rule that says a whole value of `slot` (any admitted length). */
export function slotRule(slot: SlotSpec): string {
  return `slot_${slot.name}`;
}

/** Numbers this many digits too short or too long are heard as such, not forced onto the slot's length. */
const NEAR_MISS_DIGITS = 2;

/** The rule for numbers of a near-miss length: heard (and rejected), rather than forced into the value rule. */
export function wrongLengthRule(slot: SlotSpec): string {
  return `wrong_${slot.name}`;
}

/** <name_1>..<name_max+2>, <slot_name> (the admitted lengths) and <wrong_name> (near misses), as JSGF lines. */
export function digitSlotRules(slot: SlotSpec): string[] {
  const lines: string[] = [];
  const repeats = repeatsByCount();
  const longest = slot.maxDigits + NEAR_MISS_DIGITS;
  for (let n = 1; n <= longest; n++) {
    const alternatives: string[] = [];
    const rest = (k: number) => (k === 0 ? '' : ` <${exactRule(slot, k)}>`);
    alternatives.push(`<${DIGIT_RULE}>${rest(n - 1)}`);
    if (longest <= MAX_EXACT_DIGITS) {
      for (const [count, word] of repeats) if (count <= n) alternatives.push(`${word} <${DIGIT_RULE}>${rest(n - count)}`);
    }
    lines.push(`<${exactRule(slot, n)}> = ${alternatives.join(' | ')};`);
  }
  const lengths: string[] = [];
  for (let n = slot.minDigits; n <= slot.maxDigits; n++) lengths.push(`<${exactRule(slot, n)}>`);
  lines.push(`<${slotRule(slot)}> = ${lengths.join(' | ')};`);
  const wrong: string[] = [];
  for (let n = Math.max(1, slot.minDigits - NEAR_MISS_DIGITS); n <= longest; n++) if (n < slot.minDigits || n > slot.maxDigits) wrong.push(`<${exactRule(slot, n)}>`);
  if (wrong.length > 0) lines.push(`<${wrongLengthRule(slot)}> = ${wrong.join(' | ')};`);
  return lines;
}

export function digitRuleLine(): string {
  return `<${DIGIT_RULE}> = ${Object.keys(DIGIT_WORDS).join(' | ')};`;
}

/** Every word a digit slot is said with. */
export function digitWords(): string[] {
  return [...Object.keys(DIGIT_WORDS), ...Object.keys(REPEAT_WORDS)];
}
