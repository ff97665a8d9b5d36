/**
 * Gateway process for bench/providers.ts: the real gateway running createCascadeAgent against the fakes (URLs from
 * argv), with a journal that keeps each answered turn's latency stages. Reports its CPU and the stages over IPC.
 *   argv[2]: JSON { deepgram: {baseUrl, apiKey}, chat: {baseUrl, apiKey}, tts: {baseUrl, apiKey, voice}, greeting }
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createCascadeAgent } from '../src/agent/kinds/cascade.js';
import type { CallJournal } from '../src/call/session.js';
import { loadConfig } from '../src/config/env.js';
import { buildGateway } from '../src/http/server.js';
import { AgentCatalog } from '../src/agent/assembly/catalog.js';
import { createLogger } from '../src/observability/logger.js';
import { OpenAICompatibleLanguageModel } from '../src/providers/llm/openai-compatible.js';
import { DeepgramSpeechToText } from '../src/providers/stt/deepgram.js';
import { ElevenLabsTextToSpeech } from '../src/providers/tts/elevenlabs.js';

const cfg = JSON.parse(process.argv[2]) as {
  deepgram: { baseUrl: string; apiKey: string };
  chat: { baseUrl: string; apiKey: string };
  tts: { baseUrl: string; apiKey: string; voice: string };
  greeting: string;
};

/** Per call, per answered turn: the conversation engine's stages, ms since the end of the caller's speech. */
interface TurnStages {
  endpointMs?: number;
  [stage: string]: number | undefined;
}
const turns = new Map<string, TurnStages[]>();
const pending = new Map<string, TurnStages>();
const counts = { calls: 0, failures: 0, bargeIns: 0 };

const journal: CallJournal = {
  event(callId, type, data = {}) {
    const key = `${callId}/${String(data.replyId)}`;
    switch (type) {
      case 'start':
        counts.calls++;
        turns.set(callId, []);
        break;
      case 'turn.speech-end':
        pending.set(key, { endpointMs: data.endpointMs as number });
        break;
      case 'turn.first-frame': {
        // Wall-clock (epoch) time of the end of the caller's speech as the engine placed it, comparable across processes.
        const t = pending.get(key);
        if (t) t.speechEndEpochMs = performance.timeOrigin + performance.now() - (data.ms as number);
        break;
      }
      case 'turn.latency': {
        const t = pending.get(key);
        if (!t) break;
        pending.delete(key);
        Object.assign(t, data);
        delete t.replyId;
        turns.get(callId)?.push(t);
        break;
      }
      case 'provider-failure':
        counts.failures++;
        break;
      case 'barge-in':
        counts.bargeIns++;
        break;
    }
  },
  addTurn: () => 0,
  updateTurn: () => {},
};

const agent = createCascadeAgent({
  name: 'cascade-bench',
  systemPrompt: 'You are a benchmark.',
  greeting: cfg.greeting,
  // Deepgram marks the end of speech after 10 ms of silence (its minimum), so the final follows the speech by the
  // fake's configured delay.
  stt: new DeepgramSpeechToText({ apiKey: cfg.deepgram.apiKey, baseUrl: cfg.deepgram.baseUrl, endpointingMs: 10 }),
  llm: new OpenAICompatibleLanguageModel({ baseUrl: cfg.chat.baseUrl, apiKey: cfg.chat.apiKey, model: 'gpt-4o-mini' }),
  tts: new ElevenLabsTextToSpeech({ apiKey: cfg.tts.apiKey, baseUrl: cfg.tts.baseUrl, voices: [cfg.tts.voice] }),
  voice: cfg.tts.voice,
  onFailure: 'transfer',
  turnTaking: { idleMs: 60_000 },
});
const t0 = performance.now();
await agent.prepare([8000]);
const prepareMs = performance.now() - t0;
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
const catalog = new AgentCatalog(agent.name).add(agent);
const gateway = await buildGateway({ config, logger: createLogger('warn'), agents: catalog, journal });
await gateway.app.listen({ port: 0, host: '127.0.0.1' });

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu0 = process.cpuUsage();
let wall0 = performance.now();

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    turns.clear();
    pending.clear();
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] = 0;
    loop.reset();
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    process.send!({ cmd: 'reset' });
  } else if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    process.send!({
      cmd: 'stats',
      cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - wall0),
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      rssMB: process.memoryUsage().rss / 1e6,
      turns: Object.fromEntries(turns),
      counts,
    });
  } else if (msg.cmd === 'exit') process.exit(0);
});
process.send!({ cmd: 'ready', port: (gateway.app.server.address() as { port: number }).port, prepareMs });
