// What the Sarvam adapters add, against the local fakes (loopback, same process; nothing here touches Sarvam):
// speech-to-text
//  - openMs: open() until the stream is usable (handshake + adapter setup);
//  - writeUsPerFrame: synchronous cost of write() for one 20 ms frame (base64 + JSON, and resampling at 24 kHz);
//  - resultLatencyMs: the fake hands a transcript to its socket -> our onEvent sees it;
//  - endToFinalMs: the fake heard the audio that ended the utterance -> our onEvent has the final transcript
//    (the fake answers at once, so this is the adapter's and the loopback's share of the time to a transcript);
// text-to-speech
//  - adapterAddedToFirstChunkMs: the fake wrote its first byte -> the first chunk reaches the consumer;
//  - overheadOverFetchMs: synthesize() minus a bare fetch of the same bytes.
// Prints JSON. Usage: npm run bench:sarvam  (RUNS=n, default 20)
import { SarvamSpeechToText } from '../src/providers/stt/sarvam.js';
import { SarvamTextToSpeech } from '../src/providers/tts/sarvam.js';
import type { SttEvent } from '../src/providers/types.js';
import { startFakeSarvamStt } from '../test/fakes/sarvam-stt.js';
import { FakeSarvamTts } from '../test/fakes/sarvam-tts.js';
import { tone } from '../test/helpers/stt-events.js';

const RUNS = Number(process.env.RUNS ?? 20);
const WRITE_FRAMES = 1500; // 30 s of audio
const TEXT = 'आपका ऑर्डर कल शाम तक पहुँच जाएगा। आपका बिल पाँच सौ बीस रुपये है। क्या मैं और कुछ मदद कर सकता हूँ?';

const r2 = (v: number) => Math.round(v * 100) / 100;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => r2(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { p50: at(0.5), p95: at(0.95), n: s.length };
}

async function sttRun(rate: number) {
  const fake = await startFakeSarvamStt({ script: Array.from({ length: RUNS }, (_, i) => ({ transcript: `वाक्य ${i}` })), endSilenceMs: 200 });
  const stt = new SarvamSpeechToText({ apiKey: 'sarvam-stt-test-key', baseUrl: fake.baseUrl });
  const frame = rate / 50;
  try {
    const openMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const s = await stt.open({ sampleRate: rate, onEvent: () => {} });
      openMs.push(performance.now() - t0);
      await s.close();
    }

    const silent = new Int16Array(frame);
    const writer = await stt.open({ sampleRate: rate, onEvent: () => {} });
    let writeNs = 0n;
    for (let sent = 0; sent < WRITE_FRAMES; sent += 50) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < 50; k++) writer.write(silent);
      writeNs += process.hrtime.bigint() - t0;
      await tick();
    }
    await writer.close();

    const resultLatency: number[] = [];
    const endToFinal: number[] = [];
    let onFinal: ((at: number) => void) | undefined;
    const stream = await stt.open({
      sampleRate: rate,
      onEvent: (e: SttEvent) => {
        const at = performance.now();
        if (e.type !== 'transcript') return;
        const conn = fake.connections.at(-1)!;
        resultLatency.push(at - conn.sent.filter((m) => m.type === 'data').at(-1)!.at);
        endToFinal.push(at - conn.endsHeardAt.at(-1)!);
        onFinal?.(at);
      },
    });
    const speech = tone(400, rate);
    const pause = new Int16Array((rate * 260) / 1000);
    const send = (audio: Int16Array) => {
      for (let i = 0; i < audio.length; i += frame) stream.write(audio.subarray(i, i + frame));
    };
    for (let u = 0; u < RUNS; u++) {
      const got = new Promise<number>((resolve) => (onFinal = resolve));
      send(speech);
      send(pause);
      await got;
    }
    await stream.close();
    return {
      sentRate: stt.sendRate(rate),
      openMs: stats(openMs),
      writeUsPerFrame: r2(Number(writeNs) / 1000 / WRITE_FRAMES),
      droppedSamples: writer.stats.droppedSamples,
      resultLatencyMs: stats(resultLatency),
      endToFinalMs: stats(endToFinal),
    };
  } finally {
    await fake.close();
  }
}

async function ttsRun(fake: FakeSarvamTts, rate: number) {
  const tts = new SarvamTextToSpeech({ apiKey: fake.apiKey, baseUrl: fake.baseUrl });
  const firstAdded: number[] = [];
  const firstChunk: number[] = [];
  const overhead: number[] = [];
  const raw = async () => {
    const res = await fetch(`${fake.baseUrl}/text-to-speech/stream`, {
      method: 'POST',
      headers: { 'api-subscription-key': fake.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: TEXT, target_language_code: 'hi-IN', speaker: 'shubh', model: 'bulbul:v3', speech_sample_rate: Math.min(rate, 24000), output_audio_codec: 'linear16' }),
    });
    await res.arrayBuffer();
  };
  for (let i = 0; i < 3; i++) await tts.synthesize(TEXT, { sampleRate: rate }); // warm up
  for (let i = 0; i < RUNS; i++) {
    const before = fake.requests.length;
    const t0 = performance.now();
    const iterator = tts.stream(TEXT, { sampleRate: rate })[Symbol.asyncIterator]();
    await iterator.next();
    const t1 = performance.now();
    firstChunk.push(t1 - t0);
    firstAdded.push(t1 - fake.requests[before]!.firstByteAt!);
    await iterator.return?.(undefined);
    await fake.requests[before]!.done;
  }
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await tts.synthesize(TEXT, { sampleRate: rate });
    const adapter = performance.now() - t;
    t = performance.now();
    await raw();
    overhead.push(adapter - (performance.now() - t));
  }
  return { firstChunkMs: stats(firstChunk), adapterAddedToFirstChunkMs: stats(firstAdded), overheadOverFetchMs: stats(overhead) };
}

const stt: Record<string, unknown> = {};
for (const rate of [8000, 16000, 24000]) stt[`${rate}Hz`] = await sttRun(rate);
const fake = await FakeSarvamTts.start({ ttfbMs: 0, intervalMs: 0, sizes: [4095, 4097] });
const tts: Record<string, unknown> = {};
try {
  for (const rate of [8000, 16000, 24000]) tts[`${rate}Hz`] = await ttsRun(fake, rate);
} finally {
  await fake.close();
}
console.log(JSON.stringify({ bench: 'sarvam-adapters', runs: RUNS, against: 'local fakes (loopback)', stt, tts }, null, 2));
