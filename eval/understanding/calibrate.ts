/**
 * Calibration of the offline recogniser's rejection threshold (`stt.minConfidence`) on the understanding corpus:
 * each utterance over the telephone line is decoded once with the agent's phrase grammar (its confidence) and once
 * with the word-loop fallback; then, for each threshold, the brain's matcher reads what the recogniser would have
 * returned (the phrase at or above it, the fallback's words below) and the reply is scored. Prints, per threshold,
 * the utterances answered right and the false accepts, so the threshold is chosen from the curve.
 *
 *   node --import tsx eval/understanding/calibrate.ts [--voices flite:rms,espeak:en-US] [--stride 2] [--cmn batch|live] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { IntentBrain } from '../../src/agent/brain/intent-brain.js';
import { GENERAL_GRAMMAR, slotGrammarKey, type GrammarMatch } from '../../src/agent/brain/intent-grammar.js';
import type { AgentDefinition } from '../../src/agent/definition/schema.js';
import { createPocketSphinxStt } from '../../src/providers/stt/pocketsphinx.js';
import type { CompiledGrammar } from '../../src/providers/types.js';
import { SET_NAMES, loadCorpus, type Expectation, type Utterance } from './corpus.js';
import { loadFrontDesk } from './run.js';
import { DEFAULT_CHANNEL, QUICK_VOICES, overTheLine, renderSound, seedOf, speak, voiceById } from './voices.js';

const { values } = parseArgs({ options: { voices: { type: 'string' }, stride: { type: 'string', default: '2' }, cmn: { type: 'string', default: 'batch' }, json: { type: 'string' } } });
if (values.cmn !== 'batch' && values.cmn !== 'live') throw new Error('--cmn: batch or live');
const voices = (values.voices?.split(',') ?? QUICK_VOICES).map(voiceById);
const stride = Number(values.stride);

const agent = loadFrontDesk();
const brain = new IntentBrain(agent);
// live: each utterance decoded as a call's first (normalization from the worker's telephone prior).
const stt = createPocketSphinxStt({ minConfidence: 0, poolSize: 2, cmn: values.cmn });
const phrases = new Map<string, CompiledGrammar>();
const loops = new Map<string, CompiledGrammar>();
for (const [key, spec] of brain.grammars) {
  if (!('jsgf' in spec) || !spec.fallback) throw new Error(`grammar ${key} has no fallback`);
  phrases.set(key, await stt.compileGrammar({ jsgf: spec.jsgf }));
  loops.set(key, await stt.compileGrammar({ jsgf: spec.fallback }));
}

interface Decoded {
  id: string;
  set: string;
  condition: string;
  key: string;
  expect: Expectation;
  phrase: string;
  confidence: number;
  loop: string;
}

async function decodeOne(u: Utterance, voiceId: string | null): Promise<Decoded> {
  const condition = voiceId ?? '-';
  const seed = seedOf(`${u.id}|${condition}@1`);
  const clean = u.sound ? { samples: renderSound(u.sound, seed), sampleRate: 8000 } : await speak(u.text!, voiceById(voiceId!), 1);
  const line = overTheLine(clean.samples, clean.sampleRate, DEFAULT_CHANNEL, seed).samples;
  const orderIntent = agent.intents.find((i) => i.slot)!;
  const key = u.asked ? slotGrammarKey(orderIntent) : GENERAL_GRAMMAR;
  const p = await stt.recognize(line, 8000, { grammar: phrases.get(key) });
  const l = await stt.recognize(line, 8000, { grammar: loops.get(key) });
  return { id: u.id, set: u.set, condition, key, expect: u.expect, phrase: p.hypothesis ?? '', confidence: p.confidence, loop: l.hypothesis ?? '' };
}

type Verdict = { kind: 'declined' } | { kind: 'intent'; intent: string; digits?: string } | { kind: 'retry' };

function verdictOf(def: AgentDefinition, m: GrammarMatch | null): Verdict {
  if (m === null || m.kind === 'ambiguous' || m.kind === 'yes' || m.kind === 'no') return { kind: 'declined' };
  const order = def.intents.find((i) => i.slot)!.name;
  if (m.kind === 'slotValue') return m.value === null ? { kind: 'retry' } : { kind: 'intent', intent: order, digits: m.value };
  if (m.value === null) return { kind: 'retry' };
  return { kind: 'intent', intent: m.intent.name, ...(m.value ? { digits: m.value } : {}) };
}

function scoreOf(e: Expectation, v: Verdict): { correct: boolean; falseAccept: boolean } {
  if (e.kind === 'declined') return { correct: v.kind !== 'intent', falseAccept: v.kind === 'intent' };
  if (v.kind !== 'intent') return { correct: false, falseAccept: false };
  if (e.kind === 'intent') return { correct: v.intent === e.intent && v.digits === undefined, falseAccept: !(v.intent === e.intent && v.digits === undefined) };
  return { correct: v.digits === e.digits, falseAccept: v.digits !== e.digits };
}

const corpus = loadCorpus(agent);
const jobs: [Utterance, string | null][] = [];
for (const set of SET_NAMES) {
  const items = corpus.filter((u) => u.set === set).filter((_, i) => i % stride === 0);
  for (const u of items) {
    if (u.sound) jobs.push([u, null]);
    else for (const v of voices) jobs.push([u, v.id]);
  }
}
const decoded: Decoded[] = [];
for (let i = 0; i < jobs.length; i += 2) {
  const batch = await Promise.all(jobs.slice(i, i + 2).map(([u, v]) => decodeOne(u, v)));
  decoded.push(...batch);
  process.stderr.write(`[${decoded.length}/${jobs.length}]\n`);
}

const thresholds = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01];
const rows = thresholds.map((t) => {
  const per: Record<string, { n: number; correct: number; falseAccepts: number }> = {};
  let fa = 0;
  for (const d of decoded) {
    const text = d.phrase && d.confidence >= t ? d.phrase : d.loop;
    const s = scoreOf(d.expect, verdictOf(agent, text ? brain.grammar.match(text, d.key) : null));
    const tally = (per[d.set] ??= { n: 0, correct: 0, falseAccepts: 0 });
    tally.n++;
    if (s.correct) tally.correct++;
    if (s.falseAccept) tally.falseAccepts++;
    if (s.falseAccept) fa++;
  }
  return { threshold: t, falseAccepts: fa, n: decoded.length, sets: per };
});
if (values.json) writeFileSync(values.json, `${JSON.stringify({ decoded, rows }, null, 2)}\n`);
const sets = SET_NAMES.filter((s) => decoded.some((d) => d.set === s));
process.stdout.write(`threshold  ${sets.map((s) => s.padStart(14)).join('')}  false-accepts\n`);
for (const r of rows) {
  const cells = sets.map((s) => `${r.sets[s]!.correct}/${r.sets[s]!.n}`.padStart(14)).join('');
  process.stdout.write(`${r.threshold.toFixed(2).padStart(9)}  ${cells}  ${`${r.falseAccepts}/${r.n}`.padStart(13)}\n`);
}
process.exit(0);
