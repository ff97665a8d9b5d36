// Cuts reply text into the sentences it is synthesized, played and marked in: one set of rules for
// a whole text (an offline reply, a cached prompt) and for text streamed by a language model.
//
// Every decision depends only on the text itself, never on how it was split into deltas: where a
// boundary needs a look at what follows ("Dr." + " Sharma" vs "done." + " Then"), the chunker
// waits for that text rather than guessing, so feeding the same text in any pieces gives the same
// sentences as `splitSentences` (test/providers/sentences.test.ts checks that as a property).

export interface SentenceOptions {
  /**
   * A sentence shorter than this joins the next one, so one-word interjections ("Yes.") don't
   * become separate, choppy chunks. The last one of a text stands alone (a stream cannot take back
   * what it emitted). Default 16.
   */
  minChars?: number;
  /** A chunk that reaches this length without a boundary is cut at its last space. Default 200. */
  maxChars?: number;
  /**
   * The first chunk may end at a clause boundary (`,` `;` `:` then a space) once it is at least this
   * long, so the first audio starts sooner. Default 24; `Infinity` turns it off.
   */
  firstClauseMinChars?: number;
  /** Strip markdown a voice would read out (model text); otherwise only whitespace is collapsed. */
  markdown?: boolean;
}

const DEFAULT_MIN_CHARS = 16;
const DEFAULT_MAX_CHARS = 200;
const DEFAULT_FIRST_CLAUSE_MIN_CHARS = 24;

// Words that end in a period without ending the sentence. Lowercase, without their final period.
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'rs', 'no', 'nos', 'vs', 'e.g', 'i.e', 'approx',
  'dept', 'govt', 'ltd', 'pvt', 'inc', 'smt', 'shri', 'sh',
]);
const SENTENCE_PUNCT = /[.!?।॥…]/;
const DANDAS = /^[।॥]+$/;
const CLOSERS = /["'”’)\]}*_`]/;
const CLAUSE_PUNCT = /[,;:]/;
const WORD_CHAR = /[\p{L}\p{N}]/u;
const NOT_A_SENTENCE_START = /[\p{Ll}\p{N}]/u;

const NEED_MORE = -1;
const NO = 0;

/** Feed `push` with each delta as it arrives and `flush` once at the end; both return finished sentences. */
export class SentenceChunker {
  private buffer = '';
  /** Cut sentences still shorter than `minChars`, waiting to join the next one. */
  private pending = '';
  private emitted = 0;
  private readonly minChars: number;
  private readonly maxChars: number;
  private readonly firstClauseMinChars: number;
  private readonly clean: (raw: string) => string;

  constructor(options: SentenceOptions = {}) {
    this.maxChars = Math.max(8, options.maxChars ?? DEFAULT_MAX_CHARS);
    this.minChars = Math.min(options.minChars ?? DEFAULT_MIN_CHARS, this.maxChars);
    this.firstClauseMinChars = options.firstClauseMinChars ?? DEFAULT_FIRST_CLAUSE_MIN_CHARS;
    this.clean = options.markdown ? speakable : collapseSpaces;
  }

  /** Sentences this delta completed (often none). */
  push(delta: string): string[] {
    this.buffer += delta;
    return this.drain(false);
  }

  /** The rest of the text, once it has all arrived. The chunker can then be reused. */
  flush(): string[] {
    const out = this.drain(true);
    this.take(this.buffer.length, out);
    if (this.pending) out.push(this.pending);
    this.pending = '';
    this.emitted = 0;
    return out;
  }

  private drain(final: boolean): string[] {
    const out: string[] = [];
    for (let cut = this.nextCut(final); cut > 0; cut = this.nextCut(final)) this.take(cut, out);
    return out;
  }

  private take(cut: number, out: string[]): void {
    const piece = this.clean(this.buffer.slice(0, cut));
    this.buffer = this.buffer.slice(cut);
    if (!WORD_CHAR.test(piece)) return; // noise only ("---", "...")
    if (this.pending && this.pending.length + 1 + piece.length > this.maxChars) this.emit(out);
    this.pending = this.pending ? `${this.pending} ${piece}` : piece;
    if (this.pending.length >= this.minChars) this.emit(out);
  }

  private emit(out: string[]): void {
    out.push(this.pending);
    this.pending = '';
    this.emitted++;
  }

  /** Where the first sentence of the buffer ends, or 0 when that cannot be known yet. */
  private nextCut(final: boolean): number {
    const text = this.buffer;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      if (i >= this.maxChars) return lastSpaceCut(text, this.maxChars);
      const ch = text[i]!;
      if (ch === '\n') return i + 1;
      if (SENTENCE_PUNCT.test(ch)) {
        const end = sentenceEnd(text, i, final);
        if (end === NEED_MORE) return 0;
        if (end !== NO) return end;
        while (i + 1 < n && SENTENCE_PUNCT.test(text[i + 1]!)) i++;
        continue;
      }
      if (this.emitted === 0 && CLAUSE_PUNCT.test(ch) && this.pending.length + text.slice(0, i).trim().length >= this.firstClauseMinChars) {
        if (i + 1 === n) return final ? n : 0;
        if (/\s/.test(text[i + 1]!)) return i + 1; // "1,000" and "10:30" are not clause ends
      }
    }
    return 0;
  }
}

/** The sentences of a whole text, exactly as a stream of it would produce them; trimmed, none empty. */
export function splitSentences(text: string, options?: SentenceOptions): string[] {
  const chunker = new SentenceChunker(options);
  return [...chunker.push(text), ...chunker.flush()];
}

/**
 * Where the sentence whose punctuation starts at `i` ends (after closing quotes/brackets), `NO` if
 * it does not end there, `NEED_MORE` if the text so far cannot tell.
 */
function sentenceEnd(text: string, i: number, final: boolean): number {
  const n = text.length;
  let j = i;
  while (j < n && SENTENCE_PUNCT.test(text[j]!)) j++;
  let k = j;
  while (k < n && CLOSERS.test(text[k]!)) k++;
  if (k === n) return final ? k : NEED_MORE;
  const run = text.slice(i, j);
  // A danda ends the sentence whatever follows; other marks need a space after ("3.5", "exotel.com").
  if (!/\s/.test(text[k]!)) return DANDAS.test(run) ? k : NO;
  if (!/[.…]/.test(run)) return k;
  // A period or ellipsis: the next word decides ("e.g. this", "Rs. 500", "Dr. Rao", "... let me see").
  let m = k;
  while (m < n && /\s/.test(text[m]!)) {
    if (text[m] === '\n') return k;
    m++;
  }
  if (m === n) return final ? k : NEED_MORE;
  if (NOT_A_SENTENCE_START.test(text[m]!)) return NO;
  if (run === '.' && (isAbbreviation(text, i) || /^\s*\d{1,2}$/.test(text.slice(0, i)))) return NO; // "Dr. Rao"; "1. Check balance"
  return k;
}

/** Whether the word before the period at `i` is a known abbreviation or an initial ("A. R. Rahman"). */
function isAbbreviation(text: string, i: number): boolean {
  let s = i;
  while (s > 0 && /[\p{L}.]/u.test(text[s - 1]!)) s--;
  const word = text.slice(s, i);
  if (/^\p{Lu}$/u.test(word) && word !== 'I') return true;
  return ABBREVIATIONS.has(word.toLowerCase());
}

function lastSpaceCut(text: string, maxChars: number): number {
  for (let p = maxChars; p > 0; p--) if (/\s/.test(text[p]!)) return p;
  return maxChars;
}

function collapseSpaces(raw: string): string {
  return raw.replace(/\s+/g, ' ').trim();
}

/**
 * Strips what a TTS engine would read aloud but a reader would not: markdown emphasis, code ticks,
 * heading marks, link targets, bullets and list numbers at the start; collapses whitespace.
 */
export function speakable(raw: string): string {
  return raw
    .replace(/\[([^\]]*)\]\([^)\s]*\)/g, '$1')
    .replace(/^\s*(?:#{1,6}\s+|>\s*|[-*+•]\s+|\d{1,2}[.)]\s+)/, '')
    .replace(/[*#`~]+/g, '')
    .replace(/(^|[\s(])_+|_+(?=[\s).,!?;:]|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
