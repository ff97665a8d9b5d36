/**
 * Which part of the gateway grows its resident memory, one part at a time, without the gateway: N jobs through
 * one engine (recognitions through PocketSphinx, syntheses through flite or espeak-ng, each on a pool of its own)
 * or N echo calls opened and closed against an in-process gateway. Prints one JSON line per `--every` jobs: the
 * process's RSS split (anonymous / file), the main thread's heap, external and ArrayBuffer memory, and each
 * worker's WebAssembly memory, V8 heap and job count; then a summary with RSS growth per 1,000 jobs over the
 * second half of the run (the first half is warm-up).
 *
 *   npm run bench:rss-engines -- --engine stt|flite|espeak|echo [--jobs 2000] [--every 100] [--pool-size 1]
 *     [--recycle-jobs N] [--recycle-wasm-mb M] [--concurrency 20 (echo)]
 */
import { parseArgs } from 'node:util';
import { createPocketSphinxStt, pocketsphinxWorkerPool } from '../src/providers/stt/pocketsphinx.js';
import { createFliteTts, fliteWorkerPool } from '../src/providers/tts/flite.js';
import { createEspeakTts, espeakWorkerPool } from '../src/providers/tts/espeak.js';
import type { RecyclePolicy, WorkerPool } from '../src/providers/worker-pool.js';
import { SimulatedCall } from '../src/sim/index.js';
import { startGateway } from '../test/helpers/gateway.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';
import { mb, processMemory } from './process-memory.js';
import { slope } from './slope.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'stt' },
    jobs: { type: 'string', default: '2000' },
    every: { type: 'string', default: '100' },
    'pool-size': { type: 'string', default: '1' },
    'recycle-jobs': { type: 'string' },
    'recycle-wasm-mb': { type: 'string' },
    concurrency: { type: 'string', default: '20' },
  },
});
const JOBS = Number(values.jobs);
const EVERY = Number(values.every);
const POOL_SIZE = Number(values['pool-size']);
const CONCURRENCY = Number(values.concurrency);
for (const [k, v] of Object.entries({ jobs: JOBS, every: EVERY, 'pool-size': POOL_SIZE, concurrency: CONCURRENCY })) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${k}: a positive integer, please`);
}
const recycle: RecyclePolicy = {
  ...(values['recycle-jobs'] ? { afterJobs: Number(values['recycle-jobs']) } : {}),
  ...(values['recycle-wasm-mb'] ? { aboveWasmBytes: Number(values['recycle-wasm-mb']) * 1e6 } : {}),
};

/** Caller phrases in several voices, some in the grammar and some not (as callers are). */
const UTTERANCES: Array<[string, 'rms' | 'awb' | 'kal16' | 'slt']> = [
  ['what are your opening hours', 'rms'],
  ['my order number is one two three four five', 'awb'],
  ['where is the shop', 'kal16'],
  ['what time do you close', 'awb'],
  ['can i speak to someone about my order', 'rms'],
  ['the weather is lovely today', 'slt'],
  ['talk to a person', 'kal16'],
];
const PHRASES = [
  'what are your opening hours', 'when are you open', 'what time do you close', 'where is the shop', 'what is your address',
  'my order number is one two three four five', 'i want to check my order', 'talk to a person', 'speak to someone', 'goodbye',
  'yes', 'no', 'thank you bye', 'customer care',
];
/** Flite and espeak texts of reply length, varied so no engine cache could hide growth. */
const REPLIES = [
  'We are open from ten in the morning to nine at night, every day except Tuesday.',
  'Order one two three four five was shipped yesterday and should reach you by tomorrow evening.',
  'Sorry, I did not catch that. Could you say it again?',
  'We are at one hundred Feet Road, Indiranagar, Bengaluru, next to the metro station.',
];

interface Runner {
  job(n: number): Promise<unknown>;
  pool?: WorkerPool;
  close(): Promise<void>;
}

async function runner(engine: string): Promise<Runner> {
  if (engine === 'stt') {
    const clips = await Promise.all(UTTERANCES.map(async ([text, voice]) => concat(silence(200, 8000), await synthesize(text, 8000, voice), silence(300, 8000))));
    const pool = pocketsphinxWorkerPool({ size: POOL_SIZE, recycle });
    const stt = createPocketSphinxStt({ pool });
    const grammar = await stt.compileGrammar({ phrases: PHRASES });
    return { pool, job: (n) => stt.recognize(clips[n % clips.length]!.slice(), 8000, { grammar }), close: () => pool.close() };
  }
  if (engine === 'flite' || engine === 'espeak') {
    const pool = engine === 'flite' ? fliteWorkerPool({ size: POOL_SIZE, recycle }) : espeakWorkerPool({ size: POOL_SIZE, recycle });
    const tts = engine === 'flite' ? createFliteTts({ pool }) : createEspeakTts({ pool });
    const voice = engine === 'flite' ? 'slt' : 'en';
    return { pool, job: (n) => tts.synthesize(REPLIES[n % REPLIES.length]!, { voice, sampleRate: 8000 }), close: () => pool.close() };
  }
  if (engine === 'echo') {
    const gw = await startGateway();
    const speech = await synthesize('hello this is a test call', 8000, 'rms');
    return {
      async job(n) {
        const call = new SimulatedCall({ url: `${gw.base}/voicebot/connect`, callerFrameMs: 20, callSid: `rss-${n}` });
        await call.start();
        await call.sendAudio(speech.slice(0, 8000)); // 1 s, echoed back
        await call.hangup();
      },
      close: () => gw.close(),
    };
  }
  throw new Error(`--engine: stt, flite, espeak or echo, not ${engine}`);
}

const run = await runner(values.engine);
const rows: Array<{ jobs: number; rssMB: number }> = [];
function sample(jobs: number): void {
  const mem = process.memoryUsage();
  const row = {
    jobs,
    ...processMemory(),
    heapUsedMB: mb(mem.heapUsed),
    externalMB: mb(mem.external),
    arrayBuffersMB: mb(mem.arrayBuffers),
    ...(run.pool
      ? {
          workers: run.pool.workers().map((w) => ({ jobs: w.jobs, wasmMB: mb(w.wasmBytes), heapUsedMB: mb(w.heapUsedBytes), externalMB: mb(w.externalBytes) })),
          recycled: run.pool.recycled(),
        }
      : {}),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

let started = 0;
let finished = 0;
let failed = 0;
const t0 = performance.now();
sample(0);
const lanes = Array.from({ length: values.engine === 'echo' ? CONCURRENCY : POOL_SIZE }, async () => {
  while (started < JOBS) {
    await run.job(started++).catch(() => void failed++);
    if (++finished % EVERY === 0) sample(finished);
  }
});
await Promise.all(lanes);
const seconds = (performance.now() - t0) / 1000;
await run.close();
const tail = rows.filter((r) => r.jobs >= JOBS / 2);
const perJob = slope(tail.map((r) => [r.jobs, r.rssMB]));
console.log(
  JSON.stringify({
    summary: {
      engine: values.engine,
      jobs: JOBS,
      failed,
      poolSize: POOL_SIZE,
      recycle,
      seconds: Math.round(seconds),
      rssMB: { start: rows[0]!.rssMB, half: tail[0]?.rssMB ?? null, end: rows.at(-1)!.rssMB },
      rssGrowthMBPer1000JobsSecondHalf: perJob === null ? null : Math.round(perJob * 1000 * 10) / 10,
    },
  }),
);
process.exit(0);
