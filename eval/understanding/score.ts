// Scoring one reply: what the agent did (from its reply's label and text, as the call record has them), whether
// that was right for the utterance, and whether it was a false accept (an intent's answer that was not the one
// asked for, an order read back with other digits, or any answer to something the agent should have declined).
import type { AgentDefinition } from '../../src/agent/definition/schema.js';
import type { Expectation, SetName } from './corpus.js';

export type Outcome =
  /** No reply within the wait (the agent heard nothing to answer). */
  | { kind: 'none' }
  /** fallback, not-understood, idle prompt: the agent said it could not help with that. */
  | { kind: 'declined'; label: string }
  /** An intent's reply: its answer, or for a slot intent the question for the value or the retry. */
  | { kind: 'intent'; intent: string; step: 'answer' | 'ask' | 'retry'; digits?: string }
  /** Anything else (a yes/no acknowledgement, an apology after an error). */
  | { kind: 'other'; label: string };

const DECLINES = new Set(['fallback', 'not-understood', 'idle']);

/** The digits an answer reads back ("Order 1 2 3 4 5 was shipped" -> 12345): the longest run of spaced digits. */
export function digitsReadBack(text: string): string | undefined {
  const runs = text.match(/\d(?:[ ,]*\d)*/g) ?? [];
  const longest = runs.map((r) => r.replace(/\D/g, '')).sort((a, b) => b.length - a.length)[0];
  return longest || undefined;
}

export function classifyReply(agent: AgentDefinition, label: string | undefined, text: string | undefined): Outcome {
  if (label === undefined) return { kind: 'none' };
  if (DECLINES.has(label)) return { kind: 'declined', label };
  const intent = agent.intents.find((i) => i.name === label);
  if (!intent) return { kind: 'other', label };
  const said = (text ?? '').trim();
  if (intent.slot && said === intent.slot.ask.trim()) return { kind: 'intent', intent: intent.name, step: 'ask' };
  if (intent.slot && said === intent.slot.retry.trim()) return { kind: 'intent', intent: intent.name, step: 'retry' };
  const digits = intent.slot ? digitsReadBack(said) : undefined;
  return { kind: 'intent', intent: intent.name, step: 'answer', ...(digits === undefined ? {} : { digits }) };
}

export function outcomeText(o: Outcome): string {
  switch (o.kind) {
    case 'none':
      return 'no reply';
    case 'declined':
    case 'other':
      return o.label;
    case 'intent':
      return o.step === 'answer' ? (o.digits === undefined ? o.intent : `${o.intent} ${o.digits}`) : `${o.intent} (${o.step})`;
  }
}

/**
 * Right: the expected intent in any of its steps (but no made-up order number); the order's answer naming exactly those digits; a decline (or
 * silence) for what should be declined. False accept: an intent's reply that is not right, except a slot intent
 * asking again for the number it expected (a miss, not a wrong answer).
 */
export function score(expect: Expectation, o: Outcome, orderIntent: string): { correct: boolean; falseAccept: boolean } {
  switch (expect.kind) {
    case 'declined':
      return { correct: o.kind === 'none' || o.kind === 'declined', falseAccept: o.kind === 'intent' };
    case 'intent': {
      // Digits read back when the caller said none are made up: wrong, and confidently so.
      const correct = o.kind === 'intent' && o.intent === expect.intent && o.digits === undefined;
      return { correct, falseAccept: o.kind === 'intent' && !correct };
    }
    case 'order': {
      if (o.kind !== 'intent') return { correct: false, falseAccept: false };
      if (o.intent !== orderIntent) return { correct: false, falseAccept: true };
      if (o.step !== 'answer') return { correct: false, falseAccept: false };
      return { correct: o.digits === expect.digits, falseAccept: o.digits !== expect.digits };
    }
  }
}

export interface UtteranceResult {
  id: string;
  set: SetName;
  /** `flite:rms@1`, or `-` for the non-speech sounds (no voice). */
  condition: string;
  text?: string;
  expected: string;
  snrDb: number | null;
  outcome: string;
  correct: boolean;
  falseAccept: boolean;
  /** What the recogniser made of it, and how sure it was (from the call record's `turn.transcript`). */
  heard?: string;
  confidence?: number;
  rejected?: string;
  reply?: string;
  /** The call could not be played (setup failed): counted as wrong. */
  error?: string;
}

export interface Tally {
  n: number;
  correct: number;
  rate: number;
  falseAccepts: number;
}

export function tally(results: readonly UtteranceResult[]): Tally {
  const n = results.length;
  const correct = results.filter((r) => r.correct).length;
  return { n, correct, rate: n === 0 ? 0 : round3(correct / n), falseAccepts: results.filter((r) => r.falseAccept).length };
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function expectationText(e: Expectation): string {
  return e.kind === 'intent' ? e.intent : e.kind === 'order' ? `order ${e.digits}` : 'declined';
}
