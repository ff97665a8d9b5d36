/**
 * Server process for bench/turn.ts: the real gateway with the shipped agents (front-desk default), TTS and STT
 * pools of the given size, prompts prepared at the given call rates (default 8 kHz). Reports its CPU, memory and
 * the engine's own latency stages over IPC.
 */
import { createBuiltinAgents, prepareAgents } from '../src/agent/assembly/build-catalog.js';
import { createSpeechProviders } from '../src/agent/assembly/offline-providers.js';
import type { CallJournal } from '../src/call/session.js';
import { loadConfig } from '../src/config/env.js';
import { buildGateway } from '../src/http/server.js';
import { createLogger } from '../src/observability/logger.js';

const pool = Number(process.argv[2] ?? '2');
const prepareRates = (process.argv[3] ?? '8000').split(',').map(Number);

/** Per reply: the stages the conversation engine records, in ms since the end of the caller's speech. */
const stages = { endpoint: [] as number[], transcript: [] as number[], stt: [] as number[], firstFrame: [] as number[] };
const counts: Record<string, number> = { bargeIns: 0, resumed: 0, failedReplies: 0, unrecognised: 0, calls: 0 };
/** Endpointing silence by what ended the turn (silence, finalTranscript, incompleteTranscript), and each turn's words. */
const endpointByReason: Record<string, number[]> = {};
const transcripts: string[] = [];
const answered = new Set<string>();

const journal: CallJournal = {
  event(callId, type, data = {}) {
    const key = `${callId}/${String(data.replyId)}`;
    switch (type) {
      case 'start':
        counts.calls++;
        break;
      case 'turn.speech-end':
        answered.add(key);
        stages.endpoint.push(data.endpointMs as number);
        // What ended the turn: the full silence, or the shorter one after a final transcript.
        counts[`endedBy_${String(data.reason)}`] = (counts[`endedBy_${String(data.reason)}`] ?? 0) + 1;
        (endpointByReason[String(data.reason)] ??= []).push(data.endpointMs as number);
        break;
      case 'turn.transcript':
        stages.transcript.push(data.ms as number);
        stages.stt.push(data.sttMs as number);
        if (!data.text) counts.unrecognised++;
        transcripts.push(String(data.text ?? ''));
        break;
      case 'turn.first-frame':
        if (answered.delete(key)) stages.firstFrame.push(data.ms as number);
        break;
      case 'barge-in':
        counts.bargeIns++;
        break;
      case 'reply-failed':
        counts.failedReplies++;
        break;
      case 'reply-resumed':
        // A question taken for noise (no transcript in time): the old answer resumed instead.
        counts.resumed++;
        break;
    }
  },
  addTurn: () => 0,
  updateTurn: () => {},
};

// The recogniser's decoders per worker, normalization and loop pass come from STT_DECODERS_PER_WORKER, STT_CMN, STT_LOOP_PASS.
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', STT_DECODERS_PER_WORKER: process.env.STT_DECODERS_PER_WORKER, STT_CMN: process.env.STT_CMN, STT_LOOP_PASS: process.env.STT_LOOP_PASS });
const speech = createSpeechProviders({
  ttsPoolSize: pool,
  sttPoolSize: pool,
  sttDecodersPerWorker: config.stt.decodersPerWorker,
  sttCmn: config.stt.cmn,
  sttLoopPass: config.stt.loopPass,
});
const catalog = createBuiltinAgents(undefined, { speech });
const t0 = performance.now();
await prepareAgents(catalog, prepareRates);
const prepareMs = performance.now() - t0;
/** The prepared prompts' audio, KB per call rate. */
const cachedKB = Object.fromEntries(prepareRates.map((rate) => [rate, Math.round(speech.voices.cachedBytes(rate) / 1024)]));
const gateway = await buildGateway({ config, logger: createLogger('warn'), agents: catalog, journal });
await gateway.app.listen({ port: 0, host: '127.0.0.1' });

let cpu0 = process.cpuUsage();
let wall0 = performance.now();
let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250).unref();

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    for (const list of Object.values(stages)) list.length = 0;
    for (const k of Object.keys(counts)) counts[k] = 0;
    for (const k of Object.keys(endpointByReason)) delete endpointByReason[k];
    transcripts.length = 0;
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    peakRss = process.memoryUsage().rss;
    process.send!({ cmd: 'reset', rss: peakRss });
  } else if (msg.cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    process.send!({
      cmd: 'stats',
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: (performance.now() - wall0) / 1000,
      peakRss,
      stages,
      counts,
      endpointByReason,
      transcripts,
    });
  } else if (msg.cmd === 'exit') process.exit(0);
});
process.send!({ cmd: 'ready', port: (gateway.app.server.address() as { port: number }).port, rss: process.memoryUsage().rss, prepareMs, cachedKB });
