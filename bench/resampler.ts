// Resampler cost per call direction: CPU as a share of one core when running in real time on
// 20 ms chunks, and memory per resampler instance. Prints JSON.
//   npm run bench:resampler
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createResampler, filterBank } from '../src/audio/resampler.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DIRECTIONS: Array<[number, number]> = [
  [8000, 16000],
  [16000, 8000],
  [24000, 8000],
  [8000, 24000],
  [48000, 8000],
  [44100, 16000],
];
const AUDIO_SECONDS = 60;
const CHUNK_MS = 20;
const INSTANCES = 1000;
const REPEATS = 3;

/** Speech-like test signal: a few partials with a slow amplitude wobble plus a little noise. */
function signal(rate: number, seconds: number): Int16Array {
  const x = new Int16Array(rate * seconds);
  let seed = 1;
  for (let i = 0; i < x.length; i++) {
    const t = i / rate;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const v =
      (0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 1330 * t) + 0.1 * Math.sin(2 * Math.PI * 3100 * t)) *
        (0.6 + 0.4 * Math.sin(2 * Math.PI * 3 * t)) +
      0.01 * (seed / 0x7fffffff - 0.5);
    x[i] = Math.round(v * 32767);
  }
  return x;
}

/** One 60 s stream in 20 ms chunks through a reused output buffer, after a JIT warm-up. */
function cpuRun(from: number, to: number, input: Int16Array) {
  const chunk = (from * CHUNK_MS) / 1000;
  const r = createResampler(from, to);
  const out = new Int16Array(r.maxOutputLength(chunk));
  for (let off = 0; off + chunk <= 5 * from; off += chunk) r.process(input.subarray(off, off + chunk), out);
  r.reset();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let off = 0; off + chunk <= input.length; off += chunk) r.process(input.subarray(off, off + chunk), out);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, calls: input.length / chunk };
}

function cpuFigures(from: number, to: number) {
  const input = signal(from, AUDIO_SECONDS);
  const runs = Array.from({ length: REPEATS }, () => cpuRun(from, to, input));
  const audioMs = AUDIO_SECONDS * 1000;
  // Share of one core that one call direction uses while running in real time.
  const pct = (ms: number) => round((ms / audioMs) * 100, 3);
  const cpu = runs.map((r) => r.cpuMs).sort((a, b) => a - b);
  const wall = runs.map((r) => r.wallMs).sort((a, b) => a - b);
  return {
    calls: runs[0].calls,
    cpuPercentOfCore: { min: pct(cpu[0]), median: pct(cpu[REPEATS >> 1]), max: pct(cpu[REPEATS - 1]) },
    wallPercentOfCore: { min: pct(wall[0]), median: pct(wall[REPEATS >> 1]), max: pct(wall[REPEATS - 1]) },
    usPerChunkMedian: round((wall[REPEATS >> 1] * 1000) / runs[0].calls, 2),
  };
}

/** Heap + ArrayBuffer growth from holding INSTANCES resamplers (the shared bank made beforehand). */
function memoryPerInstance(from: number, to: number): number {
  filterBank(from, to);
  const samples: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const keep: unknown[] = [];
    gc();
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < INSTANCES; i++) keep.push(createResampler(from, to));
    gc();
    gc();
    const after = process.memoryUsage();
    samples.push((after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / INSTANCES);
    keep.length = 0;
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[REPEATS >> 1]);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// Memory first, while the heap is small and quiet; then CPU.
const memory = DIRECTIONS.map(([from, to]) => memoryPerInstance(from, to));
const results = DIRECTIONS.map(([from, to], i) => {
  const bank = filterBank(from, to);
  const r = createResampler(from, to);
  return {
    direction: `${from / 1000}k->${to / 1000}k`,
    L: bank.L,
    M: bank.M,
    tapsPerOutput: bank.K,
    sharedBankBytes: bank.coefs.byteLength,
    delaySamples: r.delaySamples,
    delayMs: round(r.delayMs, 3),
    bytesPerInstance: memory[i],
    chunkMs: CHUNK_MS,
    audioSeconds: AUDIO_SECONDS,
    repeats: REPEATS,
    ...cpuFigures(from, to),
  };
});

console.log(JSON.stringify({ node: process.version, instancesForMemory: INSTANCES, results }, null, 2));
