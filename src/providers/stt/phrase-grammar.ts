// Turns a list of phrases into a JSGF grammar for a dictionary-based recognizer, and maps the
// recognized word string back to the phrase as it was declared.

export interface PhraseGrammar {
  /** JSGF text with one public rule whose alternatives are the phrases. */
  jsgf: string;
  /** Distinct dictionary words the grammar uses. */
  words: string[];
  /** Normalized word string (as the recognizer returns it) → declared phrase. */
  phraseOf: Map<string, string>;
}

/**
 * Lowercase words as they appear in the recognizer's dictionary: letters, digits and inner
 * apostrophes; everything else separates words ("Yes, please!" → ["yes", "please"]).
 */
export function phraseWords(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length > 0);
}

/** Phrases that normalize to the same words are one alternative (the first spelling is returned). */
export function buildPhraseGrammar(phrases: readonly string[]): PhraseGrammar {
  const phraseOf = new Map<string, string>();
  const words = new Set<string>();
  for (const phrase of phrases) {
    const w = phraseWords(phrase);
    if (w.length === 0) continue;
    const key = w.join(' ');
    if (!phraseOf.has(key)) phraseOf.set(key, phrase);
    for (const word of w) words.add(word);
  }
  const alternatives = [...phraseOf.keys()].map((k) => `(${k})`).join(' | ');
  const jsgf = `#JSGF V1.0;\ngrammar phrases;\npublic <utterance> = ${alternatives};\n`;
  return { jsgf, words: [...words], phraseOf };
}

/** Words (terminals) of a JSGF grammar's rule bodies, as written (the dictionary is lowercase): rule references, tags, weights and operators removed. */
export function jsgfWords(jsgf: string): string[] {
  const body = jsgf
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .split(';')
    .map((stmt) => {
      const eq = stmt.indexOf('=');
      return eq >= 0 && /<[^>]+>\s*$/.test(stmt.slice(0, eq)) ? stmt.slice(eq + 1) : '';
    })
    .join(' ');
  const stripped = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\/[^/]*\//g, ' ')
    .replace(/"([^"]*)"/g, ' $1 ')
    .replace(/[()[\]|*+]/g, ' ');
  return [...new Set(stripped.split(/\s+/).filter((w) => w.length > 0))];
}
