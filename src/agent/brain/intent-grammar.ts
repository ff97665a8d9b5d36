// The recognition grammars of an offline agent, and the matcher that maps what the recogniser returned
// back to an intent (and a slot value).
//
// Each grammar is the agent's own phrases, word for word, with a fallback decoded when those do not fit
// confidently: a loop of words (the agent's words, digits and everyday English fillers), so callers can say
// things their own way and out-of-scope speech comes out as other words instead of being forced onto a
// phrase. Text that is not a phrase is scored by the intent matcher (keywords, synonyms, any order); yes and
// no are only listened for after a yes/no question; digit values are admitted only at the slot's length.
import { phraseWords } from '../../providers/stt/phrase-grammar.js';
import type { GrammarSpec } from '../../providers/types.js';
import type { AgentDefinition, IntentSpec, SlotSpec } from '../definition/schema.js';
import { spokenDigits } from '../../language/spoken-digits.js';
import { DIGIT_WORDS, REPEAT_WORDS } from './digits.js';
import { digitRuleLine, digitSlotRules, digitWords, slotRule, wrongLengthRule } from './digit-grammar.js';
import { FILLER_WORDS } from './filler-words.js';
import { FUNCTION_WORDS, IntentMatcher, type IntentScore } from './intent-matcher.js';

/** The grammar in use while no slot is being asked for and no yes/no question is open. */
export const GENERAL_GRAMMAR = 'general';
/** After a yes/no question ("Is there anything else I can help you with?"): the general one plus yes and no. */
export const YES_NO_GRAMMAR = 'general+yes-no';
/** While asking for an intent's slot: the general one plus the bare value. */
export const slotGrammarKey = (intent: IntentSpec) => `slot:${intent.name}`;
/** While a value read back waits for "yes", "no" or "no, it's ...". */
export const confirmGrammarKey = (intent: IntentSpec) => `confirm:${intent.name}`;

/** In the loop, the agent's words are this much likelier than fillers. */
export const AGENT_WORD_WEIGHT = 2;

/** `nearMiss`: the slot's grammar also hears numbers of other lengths (to reject them, not to force them onto its length). */
type Token = { word: string } | { slot: SlotSpec; nearMiss?: boolean };

type Target = { kind: 'intent'; intent: IntentSpec } | { kind: 'slotValue'; intent: IntentSpec } | { kind: 'yes' } | { kind: 'no' };

interface Pattern {
  tokens: Token[];
  target: Target;
}

export type GrammarMatch =
  /** The caller asked for an intent; `value` when they said its slot too (null: said, but not a valid value). */
  | { kind: 'intent'; intent: IntentSpec; value?: string | null; exact: boolean }
  /** The caller gave the slot value that was asked for (or corrected the one read back). */
  | { kind: 'slotValue'; intent: IntentSpec; value: string | null }
  | { kind: 'yes' }
  | { kind: 'no' }
  /** The words point to several intents about equally: ask again rather than guess. */
  | { kind: 'ambiguous'; scores: IntentScore[] };

interface Context {
  patterns: Pattern[];
  yesNo: boolean;
  /** The slot's intent while asking for it or confirming it. */
  slotIntent?: IntentSpec;
}

function tokenize(phrase: string, slot: SlotSpec | undefined): Token[] {
  const tokens: Token[] = [];
  for (const part of phrase.split(/(\{[^}]*\})/)) {
    if (/^\{[^}]*\}$/.test(part)) {
      if (!slot || part !== `{${slot.name}}`) throw new Error(`unknown placeholder ${part} in ${JSON.stringify(phrase)}`);
      tokens.push({ slot });
    } else {
      for (const word of phraseWords(part)) tokens.push({ word });
    }
  }
  return tokens;
}

function jsgfOf(tokens: Token[]): string {
  return tokens
    .map((t) => {
      if ('word' in t) return t.word;
      const value = `<${slotRule(t.slot)}>`;
      return t.nearMiss && t.slot.minDigits > 0 ? `(${value} | <${wrongLengthRule(t.slot)}>)` : value;
    })
    .join(' ');
}

const DIGIT_OR_REPEAT = new Set([...Object.keys(DIGIT_WORDS), ...Object.keys(REPEAT_WORDS)]);

export class IntentGrammar {
  readonly matcher: IntentMatcher;
  /**
   * The two words before a slot in the agent's phrases ("number is" in "my order number is {order_number}"), where
   * one of them says something ("it is" would make "what time it is" wait for a number): said without enough digits
   * after them, the number is still to come.
   */
  readonly slotLeadIns: readonly (readonly string[])[];
  readonly #contexts = new Map<string, Context>();
  readonly #specs = new Map<string, GrammarSpec>();
  readonly #slotIntents: IntentSpec[];
  readonly #yesWords: Set<string>;
  readonly #noWords: Set<string>;
  /** The fallback grammar, the same for every context. */
  readonly #loop: string;

  constructor(def: AgentDefinition) {
    this.matcher = new IntentMatcher(def.intents);
    const general: Pattern[] = [];
    for (const intent of def.intents) {
      for (const example of intent.examples) general.push({ tokens: tokenize(example, intent.slot), target: { kind: 'intent', intent } });
    }
    const yesNo: Pattern[] = [
      ...def.yes.map((p) => ({ tokens: tokenize(p, undefined), target: { kind: 'yes' } as const })),
      ...def.no.map((p) => ({ tokens: tokenize(p, undefined), target: { kind: 'no' } as const })),
    ];
    this.#yesWords = answerWords(def.yes, def.no);
    this.#noWords = answerWords(def.no, def.yes);
    this.#slotIntents = def.intents.filter((i) => i.slot);
    this.slotLeadIns = leadIns(this.#slotIntents);
    this.#loop = ['#JSGF V1.0;', 'grammar words;', loopRule(def, this.matcher.words), 'public <utterance> = <word>+;', ''].join('\n');

    this.#add(GENERAL_GRAMMAR, { patterns: general, yesNo: false });
    this.#add(YES_NO_GRAMMAR, { patterns: [...yesNo, ...general], yesNo: true });
    for (const intent of this.#slotIntents) {
      const answers = [`{${intent.slot!.name}}`, ...intent.slot!.phrases];
      const asThe = (phrases: string[]): Pattern[] =>
        phrases.map((p) => ({
          tokens: tokenize(p, intent.slot).map((t) => ('slot' in t ? { ...t, nearMiss: true } : t)),
          target: { kind: 'slotValue', intent },
        }));
      const asking = asThe(answers);
      // "No, it's four seven ...": the number read back corrected in one go.
      const corrections = asThe(def.no.flatMap((no) => answers.map((a) => `${no} ${a}`)));
      // Slot answers first: "{order}" said while asking is the value, whatever else it could be.
      this.#add(slotGrammarKey(intent), { patterns: [...asking, ...general], yesNo: false, slotIntent: intent });
      this.#add(confirmGrammarKey(intent), { patterns: [...corrections, ...yesNo, ...asking, ...general], yesNo: true, slotIntent: intent });
    }
  }

  /** Every grammar the agent listens with, by key (compile once per agent). */
  get specs(): ReadonlyMap<string, GrammarSpec> {
    return this.#specs;
  }

  /** What the recognised text (from the grammar `key`) means; null if nothing the agent knows. */
  match(text: string, key: string = GENERAL_GRAMMAR): GrammarMatch | null {
    const words = phraseWords(text);
    if (words.length === 0) return null;
    const ctx = this.#contexts.get(key) ?? this.#contexts.get(GENERAL_GRAMMAR)!;
    for (const pattern of ctx.patterns) {
      const m = matchTokens(pattern.tokens, words);
      if (m) return resolve(pattern.target, m.digits);
    }
    return this.#looseMatch(words, ctx);
  }

  /** Words that are not one of the phrases: digits said, then intents by their cues, then a plain yes or no. */
  #looseMatch(words: string[], ctx: Context): GrammarMatch | null {
    // A lone digit word among others is a word ("oh", "one"), not a number.
    const run = longestDigitRun(words);
    const digits = run !== undefined && (run.length >= 2 || words.length === 1) ? run : undefined;
    const verdict = this.matcher.match(words.filter((w) => !DIGIT_OR_REPEAT.has(w)));
    if (ctx.slotIntent && digits !== undefined) return { kind: 'slotValue', intent: ctx.slotIntent, value: validValue(ctx.slotIntent.slot!, digits) };
    if (verdict.kind === 'intent') {
      const slot = verdict.intent.slot;
      const value = slot && digits !== undefined ? validValue(slot, digits) : undefined;
      return { kind: 'intent', intent: verdict.intent, exact: false, ...(value !== undefined ? { value } : {}) };
    }
    if (ctx.yesNo) {
      const yes = words.some((w) => this.#yesWords.has(w));
      const no = words.some((w) => this.#noWords.has(w));
      if (yes !== no) return { kind: yes ? 'yes' : 'no' };
    }
    if (verdict.kind === 'ambiguous') return { kind: 'ambiguous', scores: verdict.scores };
    // A whole number said on its own (of a length the slot takes) is for the one slot that takes numbers.
    const only = this.#slotIntents.length === 1 ? this.#slotIntents[0]! : undefined;
    const value = only && digits !== undefined ? validValue(only.slot!, digits) : null;
    if (only && value !== null) return { kind: 'intent', intent: only, exact: false, value };
    return null;
  }

  #add(key: string, ctx: Context): void {
    this.#contexts.set(key, ctx);
    const slots = [...new Map(ctx.patterns.flatMap((p) => p.tokens.filter((t) => 'slot' in t).map((t) => [t.slot.name, t.slot] as const))).values()];
    this.#specs.set(key, { jsgf: this.#jsgf(ctx.patterns, slots), fallback: this.#loop });
  }

  #jsgf(patterns: Pattern[], slots: SlotSpec[]): string {
    const alternatives = [...new Set(patterns.map((p) => jsgfOf(p.tokens)).filter((s) => s.length > 0))];
    const lines = ['#JSGF V1.0;', 'grammar agent;', digitRuleLine()];
    for (const slot of slots) lines.push(...digitSlotRules(slot));
    lines.push(`public <utterance> = ${alternatives.map((a) => `(${a})`).join(' | ')};`);
    return `${lines.join('\n')}\n`;
  }
}

/** The loop's words: everything the agent's phrases, cues and answers use, digits, and the fillers. */
function loopRule(def: AgentDefinition, cueWords: string[]): string {
  const agent = new Set<string>(cueWords);
  const phrases = [...def.intents.flatMap((i) => [...i.examples, ...(i.slot?.phrases ?? [])]), ...def.yes, ...def.no];
  for (const p of phrases) for (const w of phraseWords(p.replace(/\{[^}]*\}/g, ' '))) agent.add(w);
  // Digits are not favoured: short and common sounds ("hi" heard as "five"); a number is caught by the phrases.
  const digits = digitWords().filter((w) => !agent.has(w));
  const fillers = [...digits, ...FILLER_WORDS.filter((w) => !agent.has(w) && !digits.includes(w))];
  const items = [...[...agent].map((w) => `/${AGENT_WORD_WEIGHT}/ ${w}`), ...fillers.map((w) => `/1/ ${w}`)];
  return `<word> = ${items.join(' | ')};`;
}

function leadIns(slotIntents: readonly IntentSpec[]): string[][] {
  const out = new Map<string, string[]>();
  for (const intent of slotIntents) {
    for (const phrase of [...intent.examples, ...intent.slot!.phrases]) {
      const tokens = tokenize(phrase, intent.slot);
      const at = tokens.findIndex((t) => 'slot' in t);
      const words = at < 2 ? [] : tokens.slice(at - 2, at).flatMap((t) => ('word' in t ? [t.word] : []));
      if (words.length === 2 && words.some((w) => !FUNCTION_WORDS.has(w))) out.set(words.join(' '), words);
    }
  }
  return [...out.values()];
}

/** Words of `phrases` that say the answer: not function words, not words of the opposite answers. */
function answerWords(phrases: readonly string[], opposite: readonly string[]): Set<string> {
  const other = new Set(opposite.flatMap((p) => phraseWords(p)));
  return new Set(phrases.flatMap((p) => phraseWords(p)).filter((w) => !FUNCTION_WORDS.has(w) && !other.has(w)));
}

function resolve(t: Target, digits: string | undefined): GrammarMatch {
  if (t.kind === 'yes' || t.kind === 'no') return { kind: t.kind };
  const slot = t.intent.slot;
  if (t.kind === 'intent' && (digits === undefined || !slot)) return { kind: 'intent', intent: t.intent, exact: true };
  const value = digits !== undefined && slot ? validValue(slot, digits) : null;
  return t.kind === 'intent' ? { kind: 'intent', intent: t.intent, value, exact: true } : { kind: 'slotValue', intent: t.intent, value };
}

function validValue(slot: SlotSpec, digits: string): string | null {
  return digits.length >= slot.minDigits && digits.length <= slot.maxDigits ? digits : null;
}

/** The digits of the longest run of digit words ("my order is four seven double two nine" -> 47229). */
function longestDigitRun(words: readonly string[]): string | undefined {
  let best: string | undefined;
  for (let i = 0; i < words.length; ) {
    if (!DIGIT_OR_REPEAT.has(words[i]!)) {
      i++;
      continue;
    }
    let end = i;
    while (end < words.length && DIGIT_OR_REPEAT.has(words[end]!)) end++;
    const run = spokenDigits(words.slice(i, end).join(' '));
    if (run !== undefined && (best === undefined || run.length > best.length)) best = run;
    i = end;
  }
  return best;
}

/** Matches words against a pattern: undefined for no match, else the digits its slot took (if it has one). */
function matchTokens(tokens: Token[], words: string[]): { digits?: string } | undefined {
  let w = 0;
  let digits: string | undefined;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    if ('word' in token) {
      if (words[w] !== token.word) return undefined;
      w++;
      continue;
    }
    // A slot takes the words up to the next literal word of the pattern (or the end).
    const next = tokens[t + 1];
    let end = w;
    while (end < words.length && !(next && 'word' in next && words[end] === next.word)) end++;
    // The one parser of digits said aloud (English, Hindi, "double"/"डबल"), as for every agent.
    const said = spokenDigits(words.slice(w, end).join(' '));
    if (said === undefined) return undefined;
    digits = said;
    w = end;
  }
  return w === words.length ? { digits } : undefined;
}
