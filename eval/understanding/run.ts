// The evaluation run: every utterance of the chosen sets, in every chosen caller voice and speed, over the
// telephone channel, played as its own Exotel call into the gateway (greeting, then the utterance, after the
// keypad's order menu for `asked` digits), a few calls at a time; each reply scored from the call's record.
import { readFileSync } from 'node:fs';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import type { AgentDefinition } from '../../src/agent/definition/schema.js';
import { loadCorpus, SET_NAMES, type SetName, type Utterance } from './corpus.js';
import { playUtterance } from './call.js';
import type { EvalGateway } from './gateway.js';
import { classifyReply, expectationText, outcomeText, round3, score, tally, type Tally, type UtteranceResult } from './score.js';
import { overTheLine, renderSound, seedOf, speak, type CallerVoice, type ChannelChoice } from './voices.js';

export const AGENT_FILE = new URL('../../agents/front-desk.yaml', import.meta.url);

export interface EvalOptions {
  sets: readonly SetName[];
  voices: readonly CallerVoice[];
  speeds: readonly number[];
  channel: ChannelChoice;
  /** Calls in flight at once. */
  concurrency: number;
  /** Keep every `stride`-th utterance of each set (1 = all): the quick run's subset. */
  stride: number;
  /** Only these utterance ids (a test's slice); default all. */
  only?: readonly string[];
  /** Called after each utterance (progress on stderr). */
  onResult?: (r: UtteranceResult, done: number, total: number) => void;
}

export interface EvalReport {
  agent: string;
  options: { sets: SetName[]; voices: string[]; speeds: number[]; channel: ChannelChoice; stride: number };
  sets: Partial<Record<SetName, Tally>>;
  falseAccepts: { count: number; n: number; rate: number };
  /** Per caller voice and speed: each set's tally. */
  conditions: Record<string, Partial<Record<SetName, Tally>>>;
  durationS: number;
  results: UtteranceResult[];
}

interface Job {
  utterance: Utterance;
  /** null for a non-speech sound, played once whatever the voices. */
  voice: CallerVoice | null;
  speed: number;
  condition: string;
}

export function loadFrontDesk(): AgentDefinition {
  return parseAgentDefinition(readFileSync(AGENT_FILE, 'utf8'), 'agents/front-desk.yaml');
}

/** The caller's audio for a job, over the line (seeded by utterance and condition). */
async function callerAudio(job: Job, channel: ChannelChoice): Promise<{ samples: Int16Array; sampleRate: number; snrDb: number | null }> {
  const seed = seedOf(`${job.utterance.id}|${job.condition}`);
  const u = job.utterance;
  const clean = u.sound ? { samples: renderSound(u.sound, seed), sampleRate: 8000 } : await speak(u.text!, job.voice!, job.speed);
  const line = overTheLine(clean.samples, clean.sampleRate, channel, seed);
  return { samples: line.samples, sampleRate: 8000, snrDb: line.snrDb };
}

async function play(job: Job, gateway: EvalGateway, agent: AgentDefinition, channel: ChannelChoice): Promise<UtteranceResult> {
  const u = job.utterance;
  const base = { id: u.id, set: u.set, condition: job.condition, ...(u.text === undefined ? {} : { text: u.text }), expected: expectationText(u.expect) };
  let snrDb: number | null = null;
  try {
    const audio = await callerAudio(job, channel);
    snrDb = audio.snrDb;
    const { reply, confidence, rejected, violations } = await playUtterance(gateway, audio, u.asked);
    const outcome = classifyReply(agent, reply?.label, reply?.text);
    const orderIntent = agent.intents.find((i) => i.slot)?.name ?? '';
    return {
      ...base,
      snrDb,
      outcome: outcomeText(outcome),
      ...score(u.expect, outcome, orderIntent),
      ...(reply?.recognised === undefined ? {} : { heard: reply.recognised }),
      ...(confidence === undefined ? {} : { confidence }),
      ...(rejected === undefined ? {} : { rejected }),
      ...(reply?.text === undefined ? {} : { reply: reply.text }),
      ...(violations > 0 ? { error: `${violations} Exotel protocol violations on the line` } : {}),
    };
  } catch (err) {
    return { ...base, snrDb, outcome: 'error', correct: false, falseAccept: false, error: (err as Error).message };
  }
}

function jobsFor(corpus: readonly Utterance[], o: EvalOptions): Job[] {
  const jobs: Job[] = [];
  for (const set of o.sets) {
    const items = corpus.filter((u) => u.set === set).filter((_, i) => i % o.stride === 0).filter((u) => !o.only || o.only.includes(u.id));
    for (const u of items) {
      if (u.sound) {
        jobs.push({ utterance: u, voice: null, speed: 1, condition: '-' });
        continue;
      }
      for (const voice of o.voices) for (const speed of o.speeds) jobs.push({ utterance: u, voice, speed, condition: `${voice.id}@${speed}` });
    }
  }
  return jobs;
}

function bySet(results: readonly UtteranceResult[]): Partial<Record<SetName, Tally>> {
  const out: Partial<Record<SetName, Tally>> = {};
  for (const set of SET_NAMES) {
    const of = results.filter((r) => r.set === set);
    if (of.length > 0) out[set] = tally(of);
  }
  return out;
}

export async function runUnderstandingEval(gateway: EvalGateway, o: EvalOptions): Promise<EvalReport> {
  const agent = loadFrontDesk();
  const jobs = jobsFor(loadCorpus(agent), o);
  const started = performance.now();
  const results: UtteranceResult[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await play(jobs[i], gateway, agent, o.channel);
      o.onResult?.(results[i], ++done, jobs.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  const conditions: EvalReport['conditions'] = {};
  for (const c of new Set(results.map((r) => r.condition))) conditions[c] = bySet(results.filter((r) => r.condition === c));
  const fa = results.filter((r) => r.falseAccept).length;
  return {
    agent: agent.name,
    options: { sets: [...o.sets], voices: o.voices.map((v) => v.id), speeds: [...o.speeds], channel: o.channel, stride: o.stride },
    sets: bySet(results),
    falseAccepts: { count: fa, n: results.length, rate: results.length === 0 ? 0 : round3(fa / results.length) },
    conditions,
    durationS: Math.round((performance.now() - started) / 100) / 10,
    results,
  };
}
