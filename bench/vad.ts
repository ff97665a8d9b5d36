// VAD cost per call: time per 20 ms frame (FrameVad alone and the full SpeechDetector), CPU share
// of one core per call, and memory per instance (500 instances idle, then all mid-segment).
// Prints JSON. Usage: npm run bench:vad [-- --runs 5]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SpeechDetector } from '../src/audio/speech-detector.js';
import { FrameVad, loadVadRuntime } from '../src/audio/vad.js';
import type { VadRuntime, VadSampleRate } from '../src/audio/vad.js';
import { concat, silence, synthesize, whiteNoise, mix } from '../test/helpers/speech.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const RATES: VadSampleRate[] = [8000, 16000, 24000];
const INSTANCES = 500;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const AUDIO_S = 30;

/** ~30 s of call-like audio: utterances and pauses over a -60 dBFS line-noise floor. */
async function callAudio(rate: number): Promise<Int16Array> {
  const a = await synthesize('Hello, I would like to check my account balance please.', rate);
  const b = await synthesize('Yes, that is correct. Can you also tell me my last transaction?', rate);
  const parts: Int16Array[] = [];
  let n = 0;
  while (n < AUDIO_S * rate) {
    for (const p of [silence(700, rate), a, silence(1200, rate), b]) {
      parts.push(p);
      n += p.length;
    }
  }
  const speech = concat(...parts).subarray(0, AUDIO_S * rate);
  return mix(speech, whiteNoise(AUDIO_S * 1000, rate, -60, 42));
}

function chunks(audio: Int16Array, size: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let off = 0; off + size <= audio.length; off += size) out.push(audio.subarray(off, off + size));
  return out;
}

function stats(xs: number[]) {
  const s = [...xs].sort((x, y) => x - y);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s[s.length - 1]) };
}

/** µs per 20 ms frame, one instance fed 20 ms chunks. */
function timeSingle(runtime: VadRuntime, rate: VadSampleRate, audio: Int16Array, full: boolean): number {
  const input = chunks(audio, rate / 50);
  const t0 = process.hrtime.bigint();
  if (full) {
    const d = new SpeechDetector(runtime, { sampleRate: rate });
    for (const c of input) d.push(c);
    d.close();
  } else {
    const v = new FrameVad(runtime, { sampleRate: rate });
    let voiced = 0;
    for (const c of input) v.push(c, (f) => void (voiced += f.voiced ? 1 : 0));
    v.close();
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / input.length;
}

/** µs per frame with INSTANCES detectors fed round-robin, 20 ms each, as a busy server would. */
function timeMany(runtime: VadRuntime, rate: VadSampleRate, audio: Int16Array): number {
  const input = chunks(audio, rate / 50).slice(0, 250); // 5 s each
  const ds = Array.from({ length: INSTANCES }, () => new SpeechDetector(runtime, { sampleRate: rate }));
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < input.length; k++) {
    // Stagger so instances are at different points of the speech.
    for (let j = 0; j < ds.length; j++) ds[j].push(input[(k + j) % input.length]);
  }
  const us = Number(process.hrtime.bigint() - t0) / 1000 / (input.length * ds.length);
  for (const d of ds) d.close();
  return us;
}

function memory(runtime: VadRuntime) {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, wasm: runtime.wasmMemoryBytes };
}

function perInstance(a: ReturnType<typeof memory>, b: ReturnType<typeof memory>) {
  const per = (k: keyof typeof a) => Math.round((b[k] - a[k]) / INSTANCES);
  return { rssBytes: per('rss'), heapUsedBytes: per('heapUsed'), arrayBuffersBytes: per('arrayBuffers'), wasmBytes: per('wasm') };
}

/** Memory growth per instance: FrameVad alone; detector idle; detector in a segment (speech buffered). */
function measureMemory(runtime: VadRuntime, rate: VadSampleRate, audio: Int16Array) {
  const frame = rate / 50;
  const base = memory(runtime);
  const vads = Array.from({ length: INSTANCES }, () => new FrameVad(runtime, { sampleRate: rate }));
  for (const v of vads) v.push(audio.subarray(0, frame * 10), () => {});
  const withVads = memory(runtime);
  for (const v of vads) v.close();
  const freed = memory(runtime);

  const ds = Array.from({ length: INSTANCES }, () => new SpeechDetector(runtime, { sampleRate: rate }));
  for (const d of ds) d.push(silence(1000, rate));
  const idle = memory(runtime);
  // 2 s of the first utterance: every detector is inside a segment, holding its audio.
  const speech = audio.subarray(Math.round(0.7 * rate), Math.round(2.7 * rate));
  let inSpeech = 0;
  for (const d of ds) {
    d.push(speech);
    if (d.inSpeech) inSpeech++;
  }
  const active = memory(runtime);
  for (const d of ds) d.close();
  return {
    frameVad: perInstance(base, withVads),
    wasmBytesAfterClose: freed.wasm - base.wasm,
    detectorIdle: perInstance(freed, idle),
    detectorInSegment: { ...perInstance(freed, active), detectorsInSpeech: inSpeech, bufferedMs: 2000 },
  };
}

const runtime = await loadVadRuntime();
const wasmAtLoad = runtime.wasmMemoryBytes;
const results: Record<string, unknown> = {};
for (const rate of RATES) {
  const audio = await callAudio(rate);
  timeSingle(runtime, rate, audio, true); // warm up the JIT
  const vadUs: number[] = [];
  const detUs: number[] = [];
  const manyUs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    vadUs.push(timeSingle(runtime, rate, audio, false));
    detUs.push(timeSingle(runtime, rate, audio, true));
    manyUs.push(timeMany(runtime, rate, audio));
  }
  const det = stats(detUs);
  results[`${rate}Hz`] = {
    usPerFrame: { frameVad: stats(vadUs), speechDetector: det, speechDetector500RoundRobin: stats(manyUs) },
    cpuPercentOfCorePerCall: Math.round((stats(manyUs).median / 20_000) * 100 * 1000) / 1000,
    callsPerCore: Math.floor(20_000 / stats(manyUs).median),
    memoryPerInstance: measureMemory(runtime, rate, audio),
  };
}

console.log(
  JSON.stringify(
    {
      bench: 'vad',
      node: process.version,
      runs: RUNS,
      frameMs: 20,
      instances: INSTANCES,
      wasmModuleMemoryBytes: wasmAtLoad,
      results,
    },
    null,
    2,
  ),
);
