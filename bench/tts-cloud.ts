// Cloud TTS adapters against their local fakes: the latency the adapter adds to the first audio
// chunk (first chunk handed to the consumer minus the moment the fake wrote its first byte, same
// clock), the per-request overhead of synthesize() over a bare fetch of the same bytes, and the
// process CPU per second of audio (the fake runs in this process too, so it is included).
// Prints one JSON object. Run: npm run bench:tts-cloud  (RUNS=n to change the sample count)
import { ElevenLabsTextToSpeech } from '../src/providers/tts/elevenlabs.js';
import { OpenAiTextToSpeech } from '../src/providers/tts/openai-speech.js';
import type { TextToSpeech } from '../src/providers/types.js';
import { FakeElevenLabs } from '../test/fakes/elevenlabs.js';
import { FakeOpenAiSpeech } from '../test/fakes/openai-speech.js';
import type { SpeechRequestRecord } from '../test/fakes/speech-stream.js';

const RUNS = Number(process.env.RUNS ?? 40);
const TEXT = 'Thank you for calling. Your current balance is five hundred and twenty rupees. Anything else?';
const ms = (x: number) => Math.round(x * 1000) / 1000;

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => ms(s[Math.min(s.length - 1, Math.floor(q * s.length))]!);
  return { median: at(0.5), p90: at(0.9), min: ms(s[0]!), max: ms(s[s.length - 1]!) };
}

interface Target {
  tts: TextToSpeech;
  requests: SpeechRequestRecord[];
  /** A bare fetch of the same request, for the baseline. */
  raw(sampleRate: number): Promise<number>;
}

async function firstChunk(target: Target, sampleRate: number) {
  const before = target.requests.length;
  const t0 = performance.now();
  const iterator = target.tts.stream(TEXT, { sampleRate })[Symbol.asyncIterator]();
  await iterator.next();
  const t1 = performance.now();
  const firstByteAt = target.requests[before]!.firstByteAt!;
  await iterator.return?.(undefined);
  await target.requests[before]!.done;
  return { toFirstChunk: t1 - t0, adapterAdded: t1 - firstByteAt };
}

async function perRequest(target: Target, sampleRate: number) {
  let t = performance.now();
  const cpu0 = process.cpuUsage();
  const out = await target.tts.synthesize(TEXT, { sampleRate });
  const cpu = process.cpuUsage(cpu0);
  const adapter = performance.now() - t;
  t = performance.now();
  await target.raw(sampleRate);
  const raw = performance.now() - t;
  return { adapter, raw, cpuMsPerAudioSec: (cpu.user + cpu.system) / 1000 / (out.samples.length / sampleRate) };
}

async function measure(name: string, target: Target, rates: number[]) {
  const result: Record<string, unknown> = {};
  for (const rate of rates) {
    for (let i = 0; i < 3; i++) await perRequest(target, rate); // warm up: connection, JIT, filter banks
    const first = [];
    const whole = [];
    for (let i = 0; i < RUNS; i++) first.push(await firstChunk(target, rate));
    for (let i = 0; i < RUNS; i++) whole.push(await perRequest(target, rate));
    result[`${rate}`] = {
      firstChunkMs: stats(first.map((f) => f.toFirstChunk)),
      adapterAddedToFirstChunkMs: stats(first.map((f) => f.adapterAdded)),
      synthesizeMs: stats(whole.map((w) => w.adapter)),
      bareFetchMs: stats(whole.map((w) => w.raw)),
      overheadOverFetchMs: stats(whole.map((w) => w.adapter - w.raw)),
      processCpuMsPerAudioSecond: stats(whole.map((w) => w.cpuMsPerAudioSec)),
    };
  }
  return { [name]: result };
}

// Whole-body delivery as fast as the loopback allows; 4 KiB chunks like a real provider's.
const schedule = { ttfbMs: 0, intervalMs: 0, sizes: [4095, 4097] };
const eleven = await FakeElevenLabs.start({ ...schedule, voices: ['bench-voice'] });
const openai = await FakeOpenAiSpeech.start(schedule);
try {
  const elevenTarget: Target = {
    tts: new ElevenLabsTextToSpeech({ apiKey: eleven.apiKey, baseUrl: eleven.baseUrl, voices: ['bench-voice'] }),
    requests: eleven.requests,
    async raw(rate) {
      const res = await fetch(`${eleven.baseUrl}/v1/text-to-speech/bench-voice/stream?output_format=pcm_${rate}`, {
        method: 'POST',
        headers: { 'xi-api-key': eleven.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ text: TEXT, model_id: 'eleven_flash_v2_5' }),
      });
      return (await res.arrayBuffer()).byteLength;
    },
  };
  const openaiTarget: Target = {
    tts: new OpenAiTextToSpeech({ apiKey: openai.apiKey, baseUrl: openai.baseUrl }),
    requests: openai.requests,
    async raw() {
      const res = await fetch(`${openai.baseUrl}/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${openai.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini-tts', input: TEXT, voice: 'alloy', response_format: 'pcm' }),
      });
      return (await res.arrayBuffer()).byteLength;
    },
  };
  const audioSeconds = (TEXT.trim().split(/\s+/).length * eleven.msPerWord) / 1000;
  console.log(
    JSON.stringify(
      {
        runs: RUNS,
        audioSecondsPerRequest: audioSeconds,
        ...(await measure('elevenlabs', elevenTarget, [8000, 16000, 24000])),
        ...(await measure('openai', openaiTarget, [8000, 16000, 24000])),
      },
      null,
      2,
    ),
  );
} finally {
  await eleven.close();
  await openai.close();
}
