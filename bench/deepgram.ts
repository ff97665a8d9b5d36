// Overhead of the Deepgram streaming adapter against the local fake (loopback, same process):
//  - openMs: open() until the stream is usable (handshake + adapter setup);
//  - writeUsPerFrame: synchronous cost of write() for one 20 ms frame (the per-frame media path);
//  - resultLatencyMs: fake hands a Results message to its socket -> our onEvent sees the transcript
//    (loopback transfer, JSON parse, validation, mapping);
//  - finalOverheadMs: last audio written -> final transcript received, minus the fake's artificial
//    time to final (finalDelayMs), i.e. what the gateway adds on top of the provider.
// Prints JSON. Usage: npm run bench:deepgram [-- --runs 3]
import { DeepgramSpeechToText } from '../src/providers/stt/deepgram.js';
import type { SttEvent } from '../src/providers/types.js';
import { startFakeDeepgram } from '../test/fakes/deepgram.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const OPENS = 30;
const UTTERANCES = 20;
const WRITE_FRAMES = 3000; // 60 s of audio
const FINAL_DELAY_MS = 150;
const ENDPOINTING_MS = 100;

function tone(ms: number, rate: number): Int16Array {
  const out = new Int16Array((ms * rate) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function run(rate: number) {
  const script = Array.from({ length: UTTERANCES }, (_, i) => ({ interims: ['caller'], final: `caller utterance ${i}` }));
  const fake = await startFakeDeepgram({ script, finalDelayMs: FINAL_DELAY_MS });
  const stt = new DeepgramSpeechToText({ apiKey: 'test-key', baseUrl: fake.baseUrl, endpointingMs: ENDPOINTING_MS, keepAliveIntervalMs: 0 });
  const frame = rate / 50;

  const openMs: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    const t0 = performance.now();
    const s = await stt.open({ sampleRate: rate, onEvent: () => {} });
    openMs.push(performance.now() - t0);
    await s.close();
  }

  // Per-frame write cost: batches of 1 s, letting the socket drain between batches.
  const silent = new Int16Array(frame);
  const writer = await stt.open({ sampleRate: rate, onEvent: () => {} });
  let writeNs = 0n;
  for (let sent = 0; sent < WRITE_FRAMES; sent += 50) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < 50; k++) writer.write(silent);
    writeNs += process.hrtime.bigint() - t0;
    await tick();
  }
  const dropped = writer.stats.droppedSamples;
  await writer.close();

  // Result latency and end-to-end overhead on a stream of utterances.
  const resultLatency: number[] = [];
  const finalOverhead: number[] = [];
  let pendingFinal: ((e: SttEvent, at: number) => void) | undefined;
  const stream = await stt.open({
    sampleRate: rate,
    onEvent: (e) => {
      const at = performance.now();
      if (e.type !== 'transcript') return;
      const conn = fake.connections.at(-1)!;
      const sent = conn.sent.filter((m) => m.type === 'Results').at(-1);
      if (sent) resultLatency.push(at - sent.at);
      if (e.final) pendingFinal?.(e, at);
    },
  });
  const speech = tone(400, rate);
  const pause = new Int16Array((rate * (ENDPOINTING_MS + 40)) / 1000);
  const send = (audio: Int16Array) => {
    for (let i = 0; i < audio.length; i += frame) stream.write(audio.subarray(i, i + frame));
  };
  for (let u = 0; u < UTTERANCES; u++) {
    const got = new Promise<number>((resolve) => (pendingFinal = (_e, at) => resolve(at)));
    send(speech);
    send(pause);
    const written = performance.now();
    finalOverhead.push((await got) - written - FINAL_DELAY_MS);
  }
  await stream.close();
  await fake.close();

  return {
    openMs: { p50: r2(pct(openMs, 50)), p95: r2(pct(openMs, 95)) },
    writeUsPerFrame: r2(Number(writeNs) / 1000 / WRITE_FRAMES),
    droppedSamples: dropped,
    resultLatencyMs: { p50: r2(pct(resultLatency, 50)), p95: r2(pct(resultLatency, 95)), n: resultLatency.length },
    finalOverheadMs: { p50: r2(pct(finalOverhead, 50)), p95: r2(pct(finalOverhead, 95)), n: finalOverhead.length },
  };
}

const results: Record<string, unknown[]> = {};
for (let r = 0; r < RUNS; r++) {
  for (const rate of [8000, 16000]) (results[`${rate}Hz`] ??= []).push(await run(rate));
}
console.log(JSON.stringify({ bench: 'deepgram-adapter', runs: RUNS, finalDelayMs: FINAL_DELAY_MS, results }, null, 2));
