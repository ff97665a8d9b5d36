/**
 * Realtime bridge latency: a simulated caller talks to createRealtimeAgent in a gateway, the local OpenAI Realtime
 * fake answers after a configured delay. Per turn, on one clock (all in this process):
 *   - stopToFirstFrameMs: the fake's speech_stopped -> the simulator receives the first bot media frame;
 *   - bridgeAddedMs: that minus the fake's configured time to first delta (what the bridge + gateway add);
 *   - deltaToFrameMs: the fake sends the first audio delta -> the simulator has the first frame (the output path:
 *     ws, decode, the one-frame start buffer, the media pacer, the Exotel socket).
 * Plus per-frame CPU of the audio conversions. Prints JSON.
 *
 *   npm run bench:realtime -- --turns 6 --delay 300
 */
import { parseArgs } from 'node:util';
import { createRealtimeAgent } from '../src/agent/kinds/realtime.js';
import { RealtimeAudioDecoder, RealtimeAudioEncoder, chooseRealtimeFormat } from '../src/providers/realtime/realtime-audio.js';
import { SimulatedCall } from '../src/sim/index.js';
import { startFakeRealtime } from '../test/fakes/openai-realtime.js';
import { startGateway } from '../test/helpers/gateway.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';

const { values } = parseArgs({ options: { turns: { type: 'string', default: '6' }, delay: { type: 'string', default: '300' } } });
const TURNS = Number(values.turns);
const DELAY_MS = Number(values.delay);

function stats(xs: number[]): { n: number; min: number; p50: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 10) / 10;
  return { n: s.length, min: q(0), p50: q(0.5), p90: q(0.9), max: q(1) };
}

async function latency(rate: number, deltaIntervalMs: number): Promise<Record<string, unknown>> {
  const fake = await startFakeRealtime({
    apiKey: 'sk-bench',
    firstDeltaDelayMs: DELAY_MS,
    deltaIntervalMs,
    deltaMs: 100,
    msPerChar: 40,
    script: () => ({ text: 'Your order is on its way.' }),
    transcribe: () => 'where is my order',
  });
  const gw = await startGateway({ EXOTEL_SAMPLE_RATE: String(rate) }, [
    createRealtimeAgent({ apiKey: 'sk-bench', baseUrl: fake.url, instructions: 'bench', serverVad: { silenceDurationMs: 400 } }),
  ]);
  const clip = concat(await synthesize('where is my order', rate, 'rms'), silence(200, rate));
  const call = new SimulatedCall({ url: `${gw.base}/voicebot/connect`, callerFrameMs: 20 });
  await call.start();
  const simZero = performance.now() - call.elapsedMs();
  const stopToFrame: number[] = [];
  const added: number[] = [];
  const deltaToFrame: number[] = [];
  let after = 0;
  for (let turn = 0; turn < TURNS; turn++) {
    await call.sendAudio(clip);
    const frame = await call.waitFor('botMedia', { predicate: (e) => e.atMs > after && e.queued, timeoutMs: 15_000 });
    const idle = await call.waitFor('playoutIdle', { predicate: (e) => e.atMs > frame.atMs && e.endOfReply, timeoutMs: 15_000 });
    after = idle.atMs;
    const conn = fake.last!;
    const stopped = conn.timeline.filter((x) => x.what === 'speech_stopped').at(-1)!.at;
    const firstDelta = conn.timeline.filter((x) => x.what === 'first_delta').at(-1)!.at;
    const frameAt = simZero + frame.atMs;
    stopToFrame.push(frameAt - stopped);
    added.push(frameAt - stopped - DELAY_MS);
    deltaToFrame.push(frameAt - firstDelta);
    await new Promise((r) => setTimeout(r, 300));
  }
  await call.hangup();
  await gw.close();
  await fake.close();
  return { rate, format: chooseRealtimeFormat(rate), fakeDeltaIntervalMs: deltaIntervalMs, stopToFirstFrameMs: stats(stopToFrame), bridgeAddedMs: stats(added), deltaToFrameMs: stats(deltaToFrame) };
}

/** µs per 20 ms caller frame up (encode + base64 + JSON text) and per 100 ms delta down (base64 + decode). */
function conversionCost(rate: number): Record<string, unknown> {
  const format = chooseRealtimeFormat(rate);
  const enc = new RealtimeAudioEncoder(rate, format);
  const dec = new RealtimeAudioDecoder(rate, format);
  const frame = Int16Array.from({ length: rate / 50 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
  const delta = Buffer.alloc(format === 'pcm16' ? 4800 : 800, 7).toString('base64');
  const N = 20_000;
  let sink = 0;
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const bytes = enc.encode(frame);
    sink += `{"type":"input_audio_buffer.append","audio":"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}"}`.length;
  }
  const upUs = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) sink += dec.decode(delta).pcm.length;
  const downUs = ((performance.now() - t) * 1000) / N;
  return { rate, format, upUsPerFrame20ms: Math.round(upUs * 100) / 100, downUsPer100msDelta: Math.round(downUs * 100) / 100, sink: sink > 0 };
}

const results = {
  configuredFirstDeltaDelayMs: DELAY_MS,
  latency: [await latency(8000, 20), await latency(8000, 2), await latency(16000, 20)],
  conversion: [conversionCost(8000), conversionCost(16000), conversionCost(24000)],
};
console.log(JSON.stringify(results, null, 2));
process.exit(0);
