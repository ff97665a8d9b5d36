/**
 * Fakes process for bench/providers.ts: the local Deepgram, OpenAI chat and ElevenLabs fakes with fixed delays, in
 * their own process so neither the gateway nor the load generator shares their event loop. Reports their URLs over IPC.
 *   argv[2]: JSON { sttFinalMs, llmFirstTokenMs, ttsFirstByteMs, msPerWord, reply: string[], utterance: string }
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFakeDeepgram } from '../test/fakes/deepgram.js';
import { FakeElevenLabs } from '../test/fakes/elevenlabs.js';
import { FakeOpenAIChat } from '../test/fakes/openai-chat.js';

const cfg = JSON.parse(process.argv[2]) as { sttFinalMs: number; llmFirstTokenMs: number; ttsFirstByteMs: number; msPerWord: number; reply: string[]; utterance: string };

const deepgram = await startFakeDeepgram({
  apiKey: 'bench-dg',
  // Every stretch of caller speech is the same question.
  script: Array.from({ length: 1000 }, () => ({ final: cfg.utterance })),
  finalDelayMs: cfg.sttFinalMs,
  recordAudio: false,
});
// Answers as fast as the fake can once the first token is due: the first chunk is a whole clause.
const chat = new FakeOpenAIChat({ apiKey: 'sk-bench-0123456789', script: () => ({ text: cfg.reply }), firstTokenDelayMs: cfg.llmFirstTokenMs, interTokenDelayMs: 0 });
const chatServer = await chat.start();
const tts = await FakeElevenLabs.start({ apiKey: 'xi-bench-0123456789', ttfbMs: cfg.ttsFirstByteMs, intervalMs: 0, sizes: [3200], msPerWord: cfg.msPerWord });

// The fakes keep every request; a long run must not grow without bound.
setInterval(() => {
  chat.requests.length = 0;
  tts.requests.length = 0;
  deepgram.connections.length = 0;
  deepgram.attempts.length = 0;
}, 5000).unref();

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu0 = process.cpuUsage();
let wall0 = performance.now();

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    loop.reset();
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    process.send!({ cmd: 'reset' });
  } else if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    process.send!({ cmd: 'stats', cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - wall0), loopDelayP99Ms: loop.percentile(99) / 1e6 });
  } else if (msg.cmd === 'exit') {
    void Promise.all([deepgram.close(), chatServer.close(), tts.close()]).finally(() => process.exit(0));
  }
});
process.send!({
  cmd: 'ready',
  deepgram: { baseUrl: deepgram.baseUrl, apiKey: 'bench-dg' },
  chat: { baseUrl: chatServer.baseUrl, apiKey: chat.apiKey },
  tts: { baseUrl: tts.baseUrl, apiKey: tts.apiKey, voice: tts.voices[0] },
});
