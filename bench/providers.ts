/**
 * Cascade latency under load: N concurrent simulated callers (default 100) talk to the cloud cascade agent
 * (createCascadeAgent) in a gateway child process; the Deepgram, OpenAI chat and ElevenLabs fakes run in a third
 * process with fixed delays (STT final 150 ms after the end of speech, LLM first token 250 ms, TTS first byte 120 ms).
 * Per answered turn:
 *   - callerSpeechEndToFirstFrameMs: the caller's last voiced sample sent -> the first frame of the reply received, as
 *     the simulated caller sees it (its speech end is an energy threshold on the clip, a few tens of ms after the
 *     point where the gateway's VAD places the end of the voice);
 *   - endpointMs: how long the turn-taking engine waited after the voice stopped, reported apart; transcriptWaitMs:
 *     how long the turn's text took after that (0 when the STT final came within the endpointing silence, as it does
 *     here: the STT delay is then off the critical path);
 *   - gatewayAddedMs: end of the voice (as the gateway's VAD placed it, wall clock) -> first reply frame received by
 *     the simulator (wall clock), minus endpoint and transcript wait, minus the LLM first-token and TTS first-byte
 *     delays. What the gateway adds on top of the providers, including the outbound WebSocket hop and the simulator;
 *   - engineAddedMs: the same on the gateway's clock alone (turn text ready -> first frame handed to the call).
 *   - gatewayAddedVsServedMs / engineAddedVsServedMs: the same, minus the provider time the fakes actually took
 *     (request arrival -> first text token / audio byte written, recorded in the fakes' process and paired with the
 *     turn by time) instead of their configured delays: on a shared 2-core box the fakes' timers run late under load,
 *     and that lateness is the provider's, not the gateway's.
 * The simulator runs at a lower CPU priority than the gateway (on a real deployment the callers are elsewhere).
 * Prints JSON.
 *
 *   npm run bench:providers -- --calls 100 --turns 4
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SimulatedCall } from '../src/sim/index.js';
import { concat, silence, speechBounds, synthesize } from '../test/helpers/speech.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '100' },
    turns: { type: 'string', default: '4' },
    'stt-final-ms': { type: 'string', default: '150' },
    'llm-first-token-ms': { type: 'string', default: '250' },
    'tts-first-byte-ms': { type: 'string', default: '120' },
  },
});
const CALLS = Number(values.calls);
const TURNS = Number(values.turns);
const DELAYS = { sttFinalMs: Number(values['stt-final-ms']), llmFirstTokenMs: Number(values['llm-first-token-ms']), ttsFirstByteMs: Number(values['tts-first-byte-ms']) };
const RATE = 8000;
const GREETING = 'Hello, how can I help?';
const UTTERANCE = 'where is my order';
// The first piece is a whole clause (the chunker cuts it at once), so the first sentence goes to TTS at the first token.
const REPLY = ['Sure, let me look at that order for you, ', 'it ships tomorrow morning.'];

function child<T>(file: string, arg: unknown): Promise<{ proc: ChildProcess; ready: T; request<R>(cmd: string): Promise<R> }> {
  const proc = fork(new URL(file, import.meta.url), [JSON.stringify(arg)], {
    execArgv: ['--import', 'tsx', '--disable-warning=ExperimentalWarning', ...(process.env.BENCH_PROFILE && file.includes('server') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-providers'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve) =>
    proc.once('message', (ready) =>
      resolve({
        proc,
        ready: ready as T,
        request: <R>(cmd: string) =>
          new Promise<R>((res) => {
            proc.once('message', (m) => res(m as R));
            proc.send({ cmd });
          }),
      }),
    ),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const p = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((q / 100) * s.length) - 1)] * 10) / 10 : null);
  return { n: s.length, p50: p(50), p90: p(90), p99: p(99), max: p(100) };
}

interface Served {
  kind: 'llm' | 'tts';
  arrival: number;
  first: number;
}

/** The request the fakes served that a turn made: arrived in [fromEpoch - 5, toEpoch], closest to fromEpoch, unused. */
function pairServed(pool: Served[], used: Set<Served>, fromEpoch: number, toEpoch: number): Served | undefined {
  let best: Served | undefined;
  for (const s of pool) {
    if (used.has(s) || s.arrival < fromEpoch - 5 || s.arrival > toEpoch) continue;
    if (!best || Math.abs(s.arrival - fromEpoch) < Math.abs(best.arrival - fromEpoch)) best = s;
  }
  if (best) used.add(best);
  return best;
}

interface CallResult {
  callSid: string;
  /** Per turn: caller speech end -> first reply frame, ms (null = no reply). */
  latencies: (number | null)[];
  /** Per turn: wall-clock (epoch) ms when the first reply frame arrived. */
  frameEpochs: (number | null)[];
  violations: number;
}

async function conversation(port: number, clip: { samples: Int16Array; endMs: number }, k: number): Promise<CallResult> {
  const call = new SimulatedCall({ url: `http://127.0.0.1:${port}/voicebot/connect`, callerFrameMs: 20 });
  await call.start();
  const result: CallResult = { callSid: call.callSid, latencies: [], frameEpochs: [], violations: 0 };
  const zeroEpoch = performance.timeOrigin + performance.now() - call.elapsedMs();
  try {
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 20_000 });
    for (let i = 0; i < TURNS; i++) {
      await sleep(300 + ((i * 137 + k * 71) % 900)); // callers are not in lockstep
      const sentAt = call.elapsedMs();
      void call.sendAudio(clip.samples);
      const speechEnd = sentAt + clip.endMs;
      try {
        const frame = await call.waitFor('botMedia', { predicate: (f) => f.atMs > speechEnd && f.queued, includePast: false, timeoutMs: 15_000 });
        result.latencies.push(frame.atMs - speechEnd);
        result.frameEpochs.push(zeroEpoch + frame.atMs);
        await call.waitFor('playoutIdle', { predicate: (e) => e.atMs > frame.atMs && e.endOfReply, timeoutMs: 20_000 });
      } catch {
        result.latencies.push(null);
        result.frameEpochs.push(null);
      }
    }
  } finally {
    const report = await call.hangup();
    result.violations = report.violations.length;
  }
  return result;
}

const speech = await synthesize(UTTERANCE, RATE, 'rms');
const clip = { samples: concat(speech, silence(1200, RATE)), endMs: speechBounds(speech, RATE).endMs };

type Urls = { deepgram: unknown; chat: unknown; tts: unknown };
const fakes = await child<Urls>('./providers-fakes.ts', { ...DELAYS, msPerWord: 80, reply: REPLY, utterance: UTTERANCE });
// In production the callers are elsewhere: here they share two cores with the gateway, so they yield the CPU to it.
// (The fakes keep normal priority: their lateness would count as provider time, measured below at the fakes.)
setPriority(10);
const server = await child<{ port: number; prepareMs: number }>('./providers-server.ts', { ...fakes.ready, greeting: GREETING });
await server.request('reset');
await fakes.request('reset');
const mainLoop = monitorEventLoopDelay({ resolution: 10 });
mainLoop.enable();
const mainCpu0 = process.cpuUsage();

const t0 = performance.now();
// Callers dial over two seconds, like independent calls.
const results = await Promise.all(
  Array.from({ length: CALLS }, async (_, k) => {
    await sleep((k * 2000) / CALLS);
    return conversation(server.ready.port, clip, k);
  }),
);
const wallMs = performance.now() - t0;
const mainCpu = process.cpuUsage(mainCpu0);
const fakeStats = await fakes.request<{ cpuCores: number; loopDelayP99Ms: number; served: Served[] }>('stats');
const stats = await server.request<{ cpuCores: number; loopDelayP99Ms: number; rssMB: number; turns: Record<string, Record<string, number>[]>; counts: Record<string, number> }>('stats');

const e2e: number[] = [];
const endpoint: number[] = [];
const added: number[] = [];
const engine: number[] = [];
const transcriptWait: number[] = [];
const stages: Record<string, number[]> = {};
let unpaired = 0;
let unpairedServed = 0;
const addedVsServed: number[] = [];
const engineVsServed: number[] = [];
const used = new Set<Served>();
const servedLlm = fakeStats.served.filter((x) => x.kind === 'llm');
const servedTts = fakeStats.served.filter((x) => x.kind === 'tts');
let missed = 0;
const critical = DELAYS.llmFirstTokenMs + DELAYS.ttsFirstByteMs;
for (const r of results) {
  const gw = stats.turns[r.callSid] ?? [];
  missed += r.latencies.filter((l) => l === null).length;
  if (gw.length !== r.latencies.length) {
    unpaired += r.latencies.length;
    continue;
  }
  r.latencies.forEach((lat, i) => {
    const t = gw[i];
    for (const [k, v] of Object.entries(t)) if (typeof v === 'number' && k !== 'speechEndEpochMs') (stages[k] ??= []).push(v);
    const frameEpoch = r.frameEpochs[i];
    if (lat === null || frameEpoch === null || t['first-frame'] === undefined || t['final-transcript'] === undefined) return;
    e2e.push(lat);
    endpoint.push(t.endpointMs);
    transcriptWait.push(t['final-transcript'] - t.endpointMs);
    added.push(frameEpoch - t.speechEndEpochMs - t['final-transcript'] - critical);
    engine.push(t['first-frame'] - t['final-transcript'] - critical);
    const e = t.speechEndEpochMs;
    const llm = pairServed(servedLlm, used, e + t['final-transcript'], e + t['first-llm-token']);
    const tts = pairServed(servedTts, used, e + t['first-llm-token'], e + t['first-tts-byte']);
    if (!llm || !tts) {
      unpairedServed++;
      return;
    }
    const served = llm.first - llm.arrival + (tts.first - tts.arrival);
    (stages.servedLlm ??= []).push(llm.first - llm.arrival);
    (stages.servedTts ??= []).push(tts.first - tts.arrival);
    addedVsServed.push(frameEpoch - e - t['final-transcript'] - served);
    engineVsServed.push(t['first-frame'] - t['final-transcript'] - served);
    (stages.llmStage ??= []).push(t['first-llm-token'] - t['final-transcript']);
    (stages.ttsStage ??= []).push(t['first-tts-byte'] - t['first-llm-token']);
    (stages.playStage ??= []).push(t['first-frame'] - t['first-tts-byte']);
  });
}

const out = {
  calls: CALLS,
  turnsPerCall: TURNS,
  providerDelaysMs: DELAYS,
  criticalPathProviderMs: critical,
  callerSpeechEndToFirstFrameMs: pct(e2e),
  endpointMs: pct(endpoint),
  transcriptWaitMs: pct(transcriptWait),
  gatewayAddedMs: pct(added),
  engineAddedMs: pct(engine),
  gatewayAddedVsServedMs: pct(addedVsServed),
  engineAddedVsServedMs: pct(engineVsServed),
  turnsNotPairedWithServedRequests: unpairedServed,
  gatewayStagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, pct(v)])),
  missedReplies: missed,
  unpairedTurns: unpaired,
  simulatorViolations: results.reduce((n, r) => n + r.violations, 0),
  counts: stats.counts,
  gateway: { cpuCores: Math.round(stats.cpuCores * 100) / 100, loopDelayP99Ms: Math.round(stats.loopDelayP99Ms * 10) / 10, rssMB: Math.round(stats.rssMB), prepareMs: Math.round(server.ready.prepareMs) },
  fakes: { cpuCores: Math.round(fakeStats.cpuCores * 100) / 100, loopDelayP99Ms: Math.round(fakeStats.loopDelayP99Ms * 10) / 10 },
  loadGenerator: { cpuCores: Math.round(((mainCpu.user + mainCpu.system) / 1000 / wallMs) * 100) / 100, loopDelayP99Ms: Math.round((mainLoop.percentile(99) / 1e6) * 10) / 10 },
  wallSeconds: Math.round(wallMs / 100) / 10,
};
console.log(JSON.stringify(out, null, 2));
server.proc.send({ cmd: 'exit' });
fakes.proc.send({ cmd: 'exit' });
await Promise.all([new Promise((r) => server.proc.once('exit', r)), new Promise((r) => fakes.proc.once('exit', r))]);
process.exit(0);
