// The evaluation's utterances: the agent's own intent examples (set `literal`) plus corpus.yaml's paraphrases,
// order numbers, out-of-scope requests and non-speech sounds, each with what a right answer is.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { AgentDefinition } from '../../src/agent/definition/schema.js';
import { digitsInText } from '../../src/language/spoken-digits.js';

export const SET_NAMES = ['literal', 'paraphrases', 'digits', 'out-of-scope', 'non-speech'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** What a right reply is: that intent's answer (any step of it), the order's answer for those digits, or a decline. */
export type Expectation = { kind: 'intent'; intent: string } | { kind: 'order'; digits: string } | { kind: 'declined' };

export type Sound = { sound: 'silence' | 'noise' | 'cough'; ms: number; repeat: number } | { sound: 'tone'; ms: number; hz: number; repeat: number };

export interface Utterance {
  id: string;
  set: SetName;
  /** Words the caller voice says; absent for a non-speech sound. */
  text?: string;
  sound?: Sound;
  /** Press 2 (the order menu) and let the agent ask for the number first. */
  asked: boolean;
  expect: Expectation;
}

export const CORPUS_FILE = new URL('./corpus.yaml', import.meta.url);

const schema = z.strictObject({
  paraphrases: z.array(z.strictObject({ text: z.string().min(1), intent: z.string().min(1) })).min(1),
  digits: z.array(z.strictObject({ text: z.string().min(1), digits: z.string().regex(/^\d+$/), asked: z.boolean().optional() })).min(1),
  'out-of-scope': z.array(z.string().min(1)).min(1),
  'non-speech': z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9-]+$/),
        sound: z.enum(['silence', 'noise', 'cough', 'tone']),
        ms: z.number().int().min(50).max(10_000),
        hz: z.number().min(20).max(4000).optional(),
        repeat: z.number().int().min(1).max(5).optional(),
      }),
    )
    .min(1),
});

/** Lower case, apostrophes dropped, anything else not a letter or digit a space: how two phrasings are compared. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^\p{L}\p{N}{}_]+/gu, ' ')
    .trim();
}

/** A value the literal set says for a slot placeholder ("my order number is {order_number}"). */
const LITERAL_DIGITS = ['12345', '24680'];
const DIGIT_WORDS = ['oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const sayDigits = (digits: string) => [...digits].map((d) => DIGIT_WORDS[Number(d)]).join(' ');

/** Every phrase of the agent a caller could say (intent examples and slot phrases), normalised. */
function agentPhrases(agent: AgentDefinition): Set<string> {
  const out = new Set<string>();
  for (const intent of agent.intents) for (const p of [...intent.examples, ...(intent.slot?.phrases ?? [])]) out.add(normalise(p));
  return out;
}

/** The agent's intent examples as utterances; a placeholder becomes an order number, so the answer names it. */
function literalSet(agent: AgentDefinition): Utterance[] {
  const out: Utterance[] = [];
  let n = 0;
  for (const intent of agent.intents) {
    for (const example of intent.examples) {
      const slot = intent.slot;
      if (slot && example.includes(`{${slot.name}}`)) {
        const digits = LITERAL_DIGITS[n++ % LITERAL_DIGITS.length];
        out.push({ id: `literal/${normalise(example).replace(/\s+/g, '-')}`, set: 'literal', text: example.replaceAll(`{${slot.name}}`, sayDigits(digits)), asked: false, expect: { kind: 'order', digits } });
      } else {
        out.push({ id: `literal/${normalise(example).replace(/\s+/g, '-')}`, set: 'literal', text: example, asked: false, expect: { kind: 'intent', intent: intent.name } });
      }
    }
  }
  return out;
}

const slug = (text: string) => normalise(text).replace(/\s+/g, '-').slice(0, 60);

/**
 * The whole corpus for `agent`. Throws when corpus.yaml is malformed, names an intent the agent lacks, repeats a
 * line, says digits other than its `digits`, or has a line (other than the literal set) equal to an agent phrase.
 */
export function loadCorpus(agent: AgentDefinition, source = readFileSync(CORPUS_FILE, 'utf8')): Utterance[] {
  const data = schema.parse(parse(source));
  const phrases = agentPhrases(agent);
  const intents = new Set(agent.intents.map((i) => i.name));
  const problems: string[] = [];
  const out = literalSet(agent);
  for (const p of data.paraphrases) {
    if (!intents.has(p.intent)) problems.push(`paraphrase "${p.text}": the agent has no intent ${p.intent}`);
    out.push({ id: `paraphrases/${slug(p.text)}`, set: 'paraphrases', text: p.text, asked: false, expect: { kind: 'intent', intent: p.intent } });
  }
  for (const d of data.digits) {
    if (!digitsInText(d.text).includes(d.digits)) problems.push(`digits "${d.text}" do not say ${d.digits}`);
    out.push({ id: `digits/${d.digits}${d.asked ? '-asked' : ''}`, set: 'digits', text: d.text, asked: d.asked ?? false, expect: { kind: 'order', digits: d.digits } });
  }
  for (const text of data['out-of-scope']) out.push({ id: `out-of-scope/${slug(text)}`, set: 'out-of-scope', text, asked: false, expect: { kind: 'declined' } });
  for (const s of data['non-speech']) {
    const repeat = s.repeat ?? 1;
    const sound: Sound = s.sound === 'tone' ? { sound: 'tone', ms: s.ms, hz: s.hz ?? 1000, repeat } : { sound: s.sound, ms: s.ms, repeat };
    out.push({ id: `non-speech/${s.id}`, set: 'non-speech', sound, asked: false, expect: { kind: 'declined' } });
  }
  const seen = new Map<string, string>();
  for (const u of out) {
    if (u.set !== 'literal' && u.text !== undefined && phrases.has(normalise(u.text))) {
      problems.push(`${u.set} "${u.text}" is one of the agent's own phrases (the literal set covers those)`);
    }
    if (seen.has(u.id)) problems.push(`${u.id} appears twice`);
    seen.set(u.id, u.set);
  }
  if (problems.length > 0) throw new Error(`corpus.yaml:\n  ${problems.join('\n  ')}`);
  return out;
}
