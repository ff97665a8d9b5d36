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

/** The rule for a number of any other length: heard as what it is (and rejected), rather than forced onto the slot's. */
export function wrongLengthRule(slot: SlotSpec): string {
  return `wrong_${slot.name}`;
}

/** One digit said once, doubled or tripled: what the loop of <wrong_name> repeats. */
const DIGIT_GROUP_RULE = 'digit_group';

/**
 * <name_1>..<name_max> and <slot_name> (the admitted lengths), and <wrong_name>: a loop of digit groups for any
 * number. The loop is right-recursive, which PocketSphinx compiles to a cycle of a few states; spelling out each
 * wrong length as the admitted ones are would copy the tree for every length (a 7-digit tree alone holds 95
 * copies of <digit>), and the search's cost grows with the states it can reach.
 */
export function digitSlotRules(slot: SlotSpec): string[] {
  const lines: string[] = [];
  const repeats = repeatsByCount();
  for (let n = 1; n <= slot.maxDigits; n++) {
    const alternatives: string[] = [];
    const rest = (k: number) => (k === 0 ? '' : ` <${exactRule(slot, k)}>`);
    alternatives.push(`<${DIGIT_RULE}>${rest(n - 1)}`);
    if (slot.maxDigits <= MAX_EXACT_DIGITS) {
      for (const [count, word] of repeats) if (count <= n) alternatives.push(`${word} <${DIGIT_RULE}>${rest(n - count)}`);
    }
    lines.push(`<${exactRule(slot, n)}> = ${alternatives.join(' | ')};`);
  }
  const lengths: string[] = [];
  for (let n = slot.minDigits; n <= slot.maxDigits; n++) lengths.push(`<${exactRule(slot, n)}>`);
  lines.push(`<${slotRule(slot)}> = ${lengths.join(' | ')};`);
  const group = [`<${DIGIT_RULE}>`, ...[...repeats.values()].map((word) => `${word} <${DIGIT_RULE}>`)];
  lines.push(`<${DIGIT_GROUP_RULE}> = ${group.join(' | ')};`);
  lines.push(`<${wrongLengthRule(slot)}> = <${DIGIT_GROUP_RULE}> <${wrongLengthRule(slot)}> | <${DIGIT_GROUP_RULE}>;`);
  return lines;
}

export function digitRuleLine(): string {
  return `<${DIGIT_RULE}> = ${Object.keys(DIGIT_WORDS).join(' | ')};`;
}

/** Every word a digit slot is said with. */
export function digitWords(): string[] {
  return [...Object.keys(DIGIT_WORDS), ...Object.keys(REPEAT_WORDS)];
}
