// The evaluation's text report: each set's score against its target, the false-accept rate, then each caller
// voice and speed.
import { SET_NAMES, type SetName } from './corpus.js';
import type { EvalReport } from './run.js';
import type { Tally } from './score.js';

/** The issue's targets (share of the set right; the false-accept rate is a ceiling). */
export const TARGETS: Readonly<Record<SetName, number>> = {
  literal: 0.95,
  paraphrases: 0.8,
  digits: 0.9,
  'out-of-scope': 0.9,
  'non-speech': 0.9,
};
export const MAX_FALSE_ACCEPT_RATE = 0.05;

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const pad = (s: string, n: number) => s.padEnd(n);

function row(set: string, t: Tally, target: string): string {
  return `${pad(set, 14)}${pad(String(t.n), 6)}${pad(String(t.correct), 9)}${pad(pct(t.rate), 9)}${pad(String(t.falseAccepts), 8)}${target}`;
}

export function formatTable(r: EvalReport): string {
  const lines = [`${pad('set', 14)}${pad('n', 6)}${pad('correct', 9)}${pad('rate', 9)}${pad('false+', 8)}target`];
  for (const set of SET_NAMES) {
    const t = r.sets[set];
    if (t) lines.push(row(set, t, `≥ ${pct(TARGETS[set])}${t.rate >= TARGETS[set] ? '' : '  (missed)'}`));
  }
  const fa = r.falseAccepts;
  lines.push(`false accepts: ${fa.count}/${fa.n} = ${pct(fa.rate)} (target ≤ ${pct(MAX_FALSE_ACCEPT_RATE)})${fa.rate <= MAX_FALSE_ACCEPT_RATE ? '' : '  (missed)'}`);
  lines.push('', `${pad('voice@speed', 26)}${SET_NAMES.map((s) => pad(s, 14)).join('')}`);
  for (const [condition, sets] of Object.entries(r.conditions)) {
    lines.push(`${pad(condition, 26)}${SET_NAMES.map((s) => pad(sets[s] ? `${sets[s]!.correct}/${sets[s]!.n}` : '', 14)).join('')}`);
  }
  lines.push('', `${r.results.length} calls in ${r.durationS} s`);
  return lines.join('\n');
}
