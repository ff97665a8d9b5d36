// Splits a reply into sentence-sized pieces so streaming synthesis can start playing the first
// sentence while the rest is synthesized.

// Sentence punctuation (incl. the Devanagari danda), optional closing quotes/brackets, whitespace,
// then something that can start a sentence (not a lowercase letter or digit: "Rs. 2.5", "e.g. this").
const BOUNDARY = /(?<=[.!?।॥]+["')\]]*)\s+(?=[^\p{Ll}\p{N}])|\n+/u;
// Abbreviations that end in a period but rarely end a sentence.
const ABBREVIATION = /(?:^|\s)(?:mr|mrs|ms|dr|prof|sr|jr|st|rs|no|vs|approx|dept|govt|ltd|pvt)\.$/i;

/**
 * Sentences in order, trimmed, none empty. Pieces shorter than `minChars` join the next one, so
 * one-word interjections ("Yes.") don't become separate, choppy chunks.
 */
export function splitSentences(text: string, minChars = 16): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split(BOUNDARY)) {
    const piece = raw.trim();
    if (!piece) continue;
    pending = pending ? `${pending} ${piece}` : piece;
    if (pending.length >= minChars && !ABBREVIATION.test(pending)) {
      out.push(pending);
      pending = '';
    }
  }
  if (pending) {
    if (out.length > 0 && pending.length < minChars) out[out.length - 1] += ` ${pending}`;
    else out.push(pending);
  }
  return out;
}
