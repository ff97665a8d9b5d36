/**
 * Fakes process for bench/providers.ts: the local Deepgram, OpenAI chat and ElevenLabs fakes with fixed delays, in
 * their own process so neither the gateway nor the load generator shares their event loop. Reports their URLs over IPC.
 *   argv[2]: JSON { sttFinalMs, llmFirstTokenMs, ttsFirstByteMs, msPerWord, reply: string[], utterance: string }
 */
import { Server, ServerResponse, type IncomingMessage } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFakeDeepgram } from '../test/fakes/deepgram.js';
import { FakeElevenLabs } from '../test/fakes/elevenlabs.js';
import { FakeOpenAIChat } from '../test/fakes/openai-chat.js';

/**
 * When each chat and TTS request arrived and when its first text token / audio byte went out (epoch ms): what the
 * provider actually took, its timers' lateness under load included. Recorded from outside the fakes: the first
 * write of a response that carries text (chat) or any write (audio).
 */
const served: { kind: 'llm' | 'tts'; arrival: number; first: number }[] = [];
const arrivals = new WeakMap<IncomingMessage, number>();
const epoch = () => performance.timeOrigin + performance.now();
const write = ServerResponse.prototype.write;
ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
  const arrival = this.req && arrivals.get(this.req);
  if (arrival !== undefined) {
    const path = this.req.url ?? '';
    const kind = path.includes('/chat/completions') ? 'llm' : path.includes('/text-to-speech/') ? 'tts' : undefined;
    if (kind === 'tts' || (kind === 'llm' && typeof chunk === 'string' && chunk.includes('"content":"') && !chunk.includes('"content":""'))) {
      served.push({ kind, arrival, first: epoch() });
      arrivals.delete(this.req);
    }
  }
  return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
} as typeof ServerResponse.prototype.write;
const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
  if (event === 'request') arrivals.set(args[0] as IncomingMessage, epoch());
  return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof Server.prototype.emit;

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
    served.length = 0;
    loop.reset();
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    process.send!({ cmd: 'reset' });
  } else if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    process.send!({ cmd: 'stats', cpuCores: (cpu.user + cpu.system) / 1000 / (performance.now() - wall0), loopDelayP99Ms: loop.percentile(99) / 1e6, served });
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
