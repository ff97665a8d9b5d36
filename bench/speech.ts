// Offline speech providers: TTS latency/real-time factor, main-thread time per reply sentence at a 24 kHz call,
// STT latency, decoder memory and STT throughput with pool sizes 1 and 2. Prints one JSON object.
// Run: npm run bench:speech (`-- --conversion`: only the main-thread figure)
import { WorkerPool } from '../src/providers/worker-pool.js';
import { createFliteTts } from '../src/providers/tts/flite.js';
import { createEspeakTts } from '../src/providers/tts/espeak.js';
import { PocketSphinxSpeechToText } from '../src/providers/stt/pocketsphinx.js';
import type { TextToSpeech } from '../src/providers/types.js';
import { resample } from '../src/audio/resample-buffer.js';
import { cpus } from 'node:os';

const RUNS = Number(process.env.RUNS ?? 7);
const CALL_RATE = 8000;
const EN_REPLY = 'Thank you for calling. Your current balance is five hundred and twenty rupees.';
const HI_REPLY = 'आपका वर्तमान बैलेंस पाँच सौ बीस रुपये है। क्या मैं आपकी और कोई मदद कर सकता हूँ?';
const PHRASES = [
  'yes', 'no', 'talk to an agent', 'check my balance', 'repeat that', 'goodbye', 'pay my bill', 'thank you',
  'i want to check my balance', 'speak to a human', 'cancel my order', 'track my order', 'main menu', 'go back',
  'english', 'hindi', 'one', 'two', 'three', 'i did not understand',
];
const UTTERANCE = 'i want to check my balance';

const sttScript = new URL('../src/providers/stt/pocketsphinx.worker.mjs', import.meta.url);
const fliteScript = new URL('../src/providers/tts/flite.worker.mjs', import.meta.url);
const espeakScript = new URL('../src/providers/tts/espeak.worker.mjs', import.meta.url);

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
const ms = (x: number) => Math.round(x * 10) / 10;

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: ms(s[Math.floor(s.length / 2)]!), min: ms(s[0]!), max: ms(s[s.length - 1]!) };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const out = await fn();
  return [out, performance.now() - t];
}

/**
 * A reply sentence for a 24 kHz call (espeak speaks at 22.05 kHz): the main thread's event-loop busy time while
 * the worker synthesizes and converts it, against what converting that audio on the main thread costs (where the
 * conversion ran before the workers did it).
 */
async function mainThreadPerSentence(tts: TextToSpeech, text: string, voice: string) {
  const native = (await tts.synthesize(text, { voice, sampleRate: 22050 })).samples;
  const busy: number[] = [];
  const convert: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = performance.eventLoopUtilization();
    await tts.synthesize(text, { voice, sampleRate: 24000 });
    busy.push(performance.eventLoopUtilization(before).active);
  }
  // Apart, so the garbage these conversions leave is not collected inside the busy time above.
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    resample(native, 22050, 24000);
    convert.push(performance.now() - t);
  }
  return { voice, callRate: 24000, audioSeconds: ms(native.length / 22050), mainThreadBusyMs: stats(busy), convertingOnMainThreadWouldTakeMs: stats(convert) };
}

async function benchTts(tts: TextToSpeech, text: string, voice: string) {
  const [, cold] = await timed(() => tts.synthesize(text, { voice, sampleRate: CALL_RATE }));
  const latencies: number[] = [];
  let seconds = 0;
  for (let i = 0; i < RUNS; i++) {
    const [out, t] = await timed(() => tts.synthesize(text, { voice, sampleRate: CALL_RATE }));
    latencies.push(t);
    seconds = out.samples.length / CALL_RATE;
  }
  const firstChunk: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    for await (const _ of tts.stream(text, { voice, sampleRate: CALL_RATE })) {
      firstChunk.push(performance.now() - t);
      break;
    }
  }
  const latency = stats(latencies);
  return {
    voice,
    audioSeconds: ms(seconds),
    coldStartMs: ms(cold),
    latencyToFullAudioMs: latency,
    realTimeFactor: Math.round((latency.median / 1000 / seconds) * 1000) / 1000,
    streamFirstChunkMs: stats(firstChunk),
  };
}

/** A 2.0 s utterance at 8 kHz: the spoken phrase centred in silence-level noise. */
async function twoSecondUtterance(): Promise<Int16Array> {
  const tts = createFliteTts({ pool: new WorkerPool({ name: 'flite-bench-utt', script: fliteScript, size: 1 }) });
  const speech = (await tts.synthesize(UTTERANCE, { voice: 'slt', sampleRate: CALL_RATE })).samples;
  const out = new Int16Array(2 * CALL_RATE);
  if (speech.length > out.length) throw new Error(`bench utterance is ${speech.length / CALL_RATE}s, longer than 2 s`);
  out.set(speech, Math.floor((out.length - speech.length) / 2));
  return out;
}

async function loadedRss(pool: WorkerPool, warm: () => Promise<unknown>): Promise<number> {
  await Promise.all(Array.from({ length: pool.size }, warm));
  return process.memoryUsage().rss;
}

async function main() {
  if (process.argv.includes('--conversion')) {
    const espeak = createEspeakTts({ pool: new WorkerPool({ name: 'espeak-conv', script: espeakScript, size: 1 }) });
    await espeak.synthesize(HI_REPLY, { voice: 'hi', sampleRate: CALL_RATE }); // the worker loaded
    console.log(JSON.stringify({ node: process.version, runs: RUNS, replyConversion: await mainThreadPerSentence(espeak, HI_REPLY, 'hi') }, null, 2));
    process.exit(0);
  }
  const baseRss = process.memoryUsage().rss;

  // Decoder memory: RSS growth with two decoders loaded, per decoder.
  const memPool = new WorkerPool({ name: 'pocketsphinx-mem', script: sttScript, size: 2 });
  const memStt = new PocketSphinxSpeechToText({ pool: memPool });
  const rss2 = await loadedRss(memPool, () => memStt.compileGrammar({ phrases: PHRASES }));
  await memPool.close();

  const utterance = await twoSecondUtterance();

  const flite = createFliteTts({ pool: new WorkerPool({ name: 'flite-bench', script: fliteScript, size: 2 }) });
  const espeak = createEspeakTts({ pool: new WorkerPool({ name: 'espeak-bench', script: espeakScript, size: 2 }) });
  const tts = {
    flite_slt: await benchTts(flite, EN_REPLY, 'slt'),
    flite_kal: await benchTts(flite, EN_REPLY, 'kal'),
    espeak_hi: await benchTts(espeak, HI_REPLY, 'hi'),
  };
  const replyConversion = await mainThreadPerSentence(espeak, HI_REPLY, 'hi');

  const stt: Record<string, unknown> = {};
  for (const size of [1, 2]) {
    const pool = new WorkerPool({ name: `pocketsphinx-${size}`, script: sttScript, size, maxQueue: 1000 });
    const provider = new PocketSphinxSpeechToText({ pool });
    const [grammar, compileMs] = await timed(() => provider.compileGrammar({ phrases: PHRASES }));
    // Load every decoder before timing.
    await Promise.all(Array.from({ length: size }, () => provider.recognize(utterance, CALL_RATE, { grammar })));
    const latencies: number[] = [];
    let text = '';
    for (let i = 0; i < RUNS; i++) {
      const [r, t] = await timed(() => provider.recognize(utterance, CALL_RATE, { grammar }));
      latencies.push(t);
      text = r.text;
    }
    if (text !== UTTERANCE) throw new Error(`bench utterance recognized as ${JSON.stringify(text)}`);
    const wide = resample(utterance, CALL_RATE, 16000);
    const latencies16k: number[] = [];
    for (let i = 0; i < 3; i++) latencies16k.push((await timed(() => provider.recognize(wide, 16000, { grammar })))[1]);
    const burst = 8 * size;
    const [, burstMs] = await timed(() => Promise.all(Array.from({ length: burst }, () => provider.recognize(utterance, CALL_RATE, { grammar }))));
    stt[`pool${size}`] = {
      compileGrammarMs: ms(compileMs),
      recognized: text,
      latency2sUtteranceMs: stats(latencies),
      latency2sUtterance16kInputMs: stats(latencies16k),
      burst: { utterances: burst, wallMs: ms(burstMs), recognitionsPerSecond: Math.round((burst / burstMs) * 1000 * 100) / 100 },
    };
    await pool.close();
  }

  console.log(
    JSON.stringify(
      {
        node: process.version,
        cpus: cpus().length,
        runs: RUNS,
        tts,
        replyConversion,
        stt: { grammarPhrases: PHRASES.length, utteranceSeconds: utterance.length / CALL_RATE, ...stt },
        memory: { baseRssMb: mb(baseRss), rssPerDecoderMb: mb((rss2 - baseRss) / 2) },
      },
      null,
      2,
    ),
  );
}

await main();
