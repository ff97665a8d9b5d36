// Which intent the caller's words ask for, when they are not word for word one of its examples. Each
// intent's keywords and the content words of its examples (synonyms mapped onto them) are evidence for it,
// weighted by how many intents share them; word order and extra words do not matter. The best intent must
// clearly beat the runner-up: between two similar scores the matcher does not guess.
import { phraseWords } from '../../providers/stt/phrase-grammar.js';
import type { IntentSpec } from '../definition/schema.js';

/** Evidence of a keyword, and of another content word of an example. */
const KEYWORD_WEIGHT = 1;
const EXAMPLE_WORD_WEIGHT = 0.5;
/** The least evidence that is an answer, and how much more the best intent needs than the next. */
export const MIN_SCORE = 0.9;
export const MIN_MARGIN = 0.4;

/** Words that say nothing about what the caller wants (English: the offline recogniser's language). */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  ('a an the is are am was were be been do does did doing you your you\'re i i\'m me my we us our it it\'s its to of in on at ' +
    'for and or but so what which who can could would will shall should may might please tell know want like let ' +
    'this that these those there here hi hello hey ok okay just um uh hmm sir madam ma\'am really actually also ' +
    'any some about with from by have has had get got need give guys thing something').split(' '),
);

interface Cue {
  words: string[];
  weight: number;
}

export interface IntentScore {
  intent: IntentSpec;
  score: number;
}

export type MatchVerdict =
  | { kind: 'intent'; intent: IntentSpec; score: number }
  /** Two intents scored about the same: ask again rather than guess. */
  | { kind: 'ambiguous'; scores: IntentScore[] }
  | { kind: 'none' };

/** Phrase tokens without `{slot}` placeholders. */
function plainWords(phrase: string): string[] {
  return phraseWords(phrase.replace(/\{[^}]*\}/g, ' '));
}

export class IntentMatcher {
  readonly #cues = new Map<IntentSpec, Cue[]>();
  /** Per intent: synonym phrase -> the word(s) it stands for. */
  readonly #synonyms = new Map<IntentSpec, { from: string[]; to: string[] }[]>();

  constructor(intents: readonly IntentSpec[]) {
    const raw = new Map<IntentSpec, Map<string, number>>();
    for (const intent of intents) {
      const cues = new Map<string, number>();
      for (const example of intent.examples) {
        for (const w of plainWords(example)) if (!FUNCTION_WORDS.has(w)) cues.set(w, Math.max(cues.get(w) ?? 0, EXAMPLE_WORD_WEIGHT));
      }
      for (const k of intent.keywords) {
        const key = plainWords(k).join(' ');
        if (key) cues.set(key, KEYWORD_WEIGHT);
      }
      raw.set(intent, cues);
      this.#synonyms.set(
        intent,
        Object.entries(intent.synonyms).flatMap(([to, froms]) => froms.map((f) => ({ from: plainWords(f), to: plainWords(to) }))),
      );
    }
    // A cue several intents share is evidence for each in proportion to its weight there.
    const total = new Map<string, number>();
    for (const cues of raw.values()) for (const [key, weight] of cues) total.set(key, (total.get(key) ?? 0) + weight);
    for (const [intent, cues] of raw) {
      this.#cues.set(
        intent,
        [...cues].map(([key, weight]) => ({ words: key.split(' '), weight: (weight * weight) / total.get(key)! })),
      );
    }
  }

  /** Every word the matcher listens for: cues and synonyms (for the recogniser's vocabulary). */
  get words(): string[] {
    const out = new Set<string>();
    for (const cues of this.#cues.values()) for (const c of cues) for (const w of c.words) out.add(w);
    for (const syns of this.#synonyms.values()) for (const s of syns) for (const w of s.from) out.add(w);
    return [...out];
  }

  scores(words: readonly string[]): IntentScore[] {
    const out: IntentScore[] = [];
    for (const [intent, cues] of this.#cues) {
      const said = this.#withSynonyms(intent, words);
      let score = 0;
      for (const cue of cues) if (lastIndexOfRun(said, cue.words) >= 0) score += cue.weight;
      if (score > 0) out.push({ intent, score });
    }
    return out.sort((a, b) => b.score - a.score);
  }

  match(words: readonly string[]): MatchVerdict {
    const scores = this.scores(words);
    const [best, next] = scores;
    if (!best || best.score < MIN_SCORE) return { kind: 'none' };
    if (next && best.score - next.score < MIN_MARGIN) return { kind: 'ambiguous', scores: scores.slice(0, 2) };
    return { kind: 'intent', intent: best.intent, score: best.score };
  }

  /** The words with each of the intent's synonyms replaced by what it stands for. */
  #withSynonyms(intent: IntentSpec, words: readonly string[]): string[] {
    const syns = this.#synonyms.get(intent)!;
    if (syns.length === 0) return [...words];
    const out: string[] = [];
    for (let i = 0; i < words.length; ) {
      const s = syns.find((s) => s.from.every((w, k) => words[i + k] === w));
      if (s) {
        out.push(...s.to);
        i += s.from.length;
      } else {
        out.push(words[i++]!);
      }
    }
    return out;
  }
}

/** Where the last occurrence of `run` starts in `words`, or -1. */
export function lastIndexOfRun(words: readonly string[], run: readonly string[]): number {
  for (let i = words.length - run.length; i >= 0; i--) if (run.every((w, k) => words[i + k] === w)) return i;
  return -1;
}
