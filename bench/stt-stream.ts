/**
 * Streaming recognition cost: CPU per second of speech for the two passes and where it is spent (while the caller
 * speaks, or at the end of the utterance), for batch and live normalization, the loop pass at the end or streamed. One worker, utterances one after
 * another (flite speech, 8 kHz, written in 20 ms frames as fast as the worker takes them). Prints JSON.
 *
 *   npm run bench:stt-stream -- --rounds 3
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createPocketSphinxPool, createPocketSphinxStt, type CmnMode, type LoopPass } from '../src/providers/stt/pocketsphinx.js';
import { concat, silence, synthesize } from '../test/helpers/speech.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const ROUNDS = Number(values.rounds);
const PHRASES = ['Yes', 'Talk to an agent', 'Check my balance', 'what are your opening hours', 'my order number is one two three four five'];
const VOICES = ['slt', 'rms', 'awb', 'kal16'] as const;

const clips = await Promise.all(
  PHRASES.flatMap((p) => VOICES.map(async (v) => concat(silence(200, 8000), await synthesize(p, 8000, v), silence(150, 8000)))),
);
const speechSeconds = clips.reduce((n, c) => n + c.length / 8000, 0) * ROUNDS;
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

async function measure(cmn: CmnMode, loopPass: LoopPass = 'finish') {
  const pool = createPocketSphinxPool({ size: 1, decodersPerWorker: 2, cmn, loopPass });
  const stt = createPocketSphinxStt({ pool, streaming: true });
  const grammar = await stt.compileGrammar({ phrases: PHRASES });
  await stt.recognize(clips[0]!, 8000, { grammar }); // load the decoders
  let writingCpu = 0;
  let finishCpu = 0;
  const finishMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const clip of clips) {
      const u = stt.openUtterance!(8000, { grammar });
      let c = process.cpuUsage();
      for (let at = 0; at < clip.length; at += 160) u.write(clip.subarray(at, at + 160));
      // Written: wait until the worker has decoded it (a status job runs after the writes), then finish.
      await pool.run({ op: 'status' });
      writingCpu += cpuMs(c);
      c = process.cpuUsage();
      const t = performance.now();
      await u.finish();
      finishMs.push(performance.now() - t);
      finishCpu += cpuMs(c);
    }
  }
  await pool.close();
  finishMs.sort((a, b) => a - b);
  return {
    cmn,
    loopPass,
    cpuMsPerSpeechSecondWhileSpeaking: Math.round(writingCpu / speechSeconds),
    cpuMsPerSpeechSecondAtFinish: Math.round(finishCpu / speechSeconds),
    finishMsP50: Math.round(finishMs[Math.floor(finishMs.length / 2)]!),
    finishMsMax: Math.round(finishMs[finishMs.length - 1]!),
  };
}

const load = os.loadavg()[0]!;
const results = [await measure('batch'), await measure('live'), await measure('live', 'stream')];
console.log(JSON.stringify({ speechSeconds: Math.round(speechSeconds), loadAvg: [Math.round(load * 10) / 10, Math.round(os.loadavg()[0]! * 10) / 10], results }, null, 2));
