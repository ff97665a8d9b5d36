// The recognition grammars of an offline agent, built from its intents' example phrases, and the
// matcher that maps what the recogniser returned back to an intent (and a slot value).
//
// Grammar-constrained recognition returns one of the grammar's word strings or nothing, so
// matching is exact: no guessing between intents happens here; low-confidence audio was already
// rejected by the recogniser.
import { phraseWords } from '../../providers/stt/phrase-grammar.js';
import type { GrammarSpec } from '../../providers/types.js';
import type { AgentDefinition, IntentSpec, SlotSpec } from '../definition/schema.js';
import { spokenDigits } from '../../language/spoken-digits.js';
import { DIGIT_WORDS, REPEAT_WORDS } from './digits.js';

/** The grammar in use while no slot is being asked for. */
export const GENERAL_GRAMMAR = 'general';
/** The grammar in use while asking for an intent's slot: the general one plus the bare value. */
export const slotGrammarKey = (intent: IntentSpec) => `slot:${intent.name}`;

type Token = { word: string } | { slot: SlotSpec };

interface Pattern {
  tokens: Token[];
  target: { kind: 'intent'; intent: IntentSpec } | { kind: 'slotValue'; intent: IntentSpec } | { kind: 'yes' } | { kind: 'no' };
}

export type GrammarMatch =
  /** The caller asked for an intent; `value` when they said its slot too (null: said, but not a valid value). */
  | { kind: 'intent'; intent: IntentSpec; value?: string | null }
  /** The caller gave the slot value that was asked for. */
  | { kind: 'slotValue'; intent: IntentSpec; value: string | null }
  | { kind: 'yes' }
  | { kind: 'no' };

const DIGIT_ITEM = `(${Object.keys(DIGIT_WORDS).join(' | ')})`;
const REPEAT_ITEM = `(${Object.keys(REPEAT_WORDS).join(' | ')})`;

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

function slotRule(slot: SlotSpec): string {
  return `slot_${slot.name}`;
}

function jsgfOf(tokens: Token[]): string {
  return tokens.map((t) => ('word' in t ? t.word : `<${slotRule(t.slot)}>`)).join(' ');
}

/** A digit value is said as digit words, each optionally preceded by double/triple. */
function slotRuleBody(slot: SlotSpec): string {
  const required = Math.ceil(slot.minDigits / 3);
  const parts: string[] = [];
  for (let i = 0; i < slot.maxDigits; i++) parts.push(i < required ? '<digit_item>' : '[<digit_item>]');
  return parts.join(' ');
}

export class IntentGrammar {
  readonly #general: Pattern[] = [];
  readonly #asking = new Map<string, Pattern[]>();
  readonly #specs = new Map<string, GrammarSpec>();

  constructor(def: AgentDefinition) {
    for (const intent of def.intents) {
      for (const example of intent.examples) this.#general.push({ tokens: tokenize(example, intent.slot), target: { kind: 'intent', intent } });
    }
    for (const yes of def.yes) this.#general.push({ tokens: tokenize(yes, undefined), target: { kind: 'yes' } });
    for (const no of def.no) this.#general.push({ tokens: tokenize(no, undefined), target: { kind: 'no' } });
    const slots = def.intents.filter((i) => i.slot).map((i) => i.slot!);
    this.#specs.set(GENERAL_GRAMMAR, { jsgf: this.#jsgf(this.#general, slots) });
    for (const intent of def.intents) {
      if (!intent.slot) continue;
      const asking = [`{${intent.slot.name}}`, ...intent.slot.phrases].map((p) => ({
        tokens: tokenize(p, intent.slot),
        target: { kind: 'slotValue', intent } as const,
      }));
      // Slot answers first: "{order}" said while asking is the value, whatever else it could be.
      const patterns = [...asking, ...this.#general];
      this.#asking.set(slotGrammarKey(intent), patterns);
      this.#specs.set(slotGrammarKey(intent), { jsgf: this.#jsgf(patterns, slots) });
    }
  }

  /** Every grammar the agent listens with, by key (compile once per agent). */
  get specs(): ReadonlyMap<string, GrammarSpec> {
    return this.#specs;
  }

  /** What the recognised text (from the grammar `key`) means; null if it matches nothing known. */
  match(text: string, key: string = GENERAL_GRAMMAR): GrammarMatch | null {
    const words = phraseWords(text);
    if (words.length === 0) return null;
    const patterns = this.#asking.get(key) ?? this.#general;
    for (const pattern of patterns) {
      const m = matchTokens(pattern.tokens, words);
      if (!m) continue;
      const t = pattern.target;
      if (t.kind === 'yes' || t.kind === 'no') return { kind: t.kind };
      const slot = t.intent.slot;
      if (m.digits === undefined || !slot) return { kind: 'intent', intent: t.intent };
      const value = m.digits.length >= slot.minDigits && m.digits.length <= slot.maxDigits ? m.digits : null;
      return { kind: t.kind, intent: t.intent, value };
    }
    return null;
  }

  #jsgf(patterns: Pattern[], slots: SlotSpec[]): string {
    const alternatives = [...new Set(patterns.map((p) => jsgfOf(p.tokens)).filter((s) => s.length > 0))];
    const lines = ['#JSGF V1.0;', 'grammar agent;', `<digit_item> = [${REPEAT_ITEM}] ${DIGIT_ITEM};`];
    for (const slot of slots) lines.push(`<${slotRule(slot)}> = ${slotRuleBody(slot)};`);
    lines.push(`public <utterance> = ${alternatives.map((a) => `(${a})`).join(' | ')};`);
    return `${lines.join('\n')}\n`;
  }
}

/** Matches words against a pattern: undefined for no match, else the digits its slot took (if it has one). */
function matchTokens(tokens: Token[], words: string[]): { digits?: string } | undefined {
  let w = 0;
  let digits: string | undefined;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
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
