/**
 * Where the recogniser's live cepstral mean normalization starts for a caller's first utterance (TELEPHONE_CMN in
 * src/providers/stt/pocketsphinx.worker.mjs): the mean cepstrum of human speech over the simulated telephone line.
 * Each recording of pocketsphinx-testdata (librivox and cards: read speech, none of it in the evaluation corpus)
 * is resampled to 8 kHz, put through the line (eval's default channel: 300-3400 Hz, 20-30 dB SNR, mu-law), and
 * decoded with live normalization until its mean is a fixed point (each pass starts from the last pass's end);
 * the prior is the mean over the recordings. Prints JSON.
 *
 *   npm run eval:cmn-prior        (needs: apt-get install -y pocketsphinx-testdata)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import createModule from 'soundswallower';
import { readWav } from '../../src/audio/wav.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { DEFAULT_CHANNEL, overTheLine, seedOf } from './voices.js';

const DATA = '/usr/share/pocketsphinx/test/data';
if (!existsSync(DATA)) {
  process.stderr.write(`eval:cmn-prior: ${DATA} is missing; install it with: apt-get install -y pocketsphinx-testdata\n`);
  process.exit(2);
}
const files = ['librivox', 'cards'].flatMap((dir) => readdirSync(join(DATA, dir)).filter((f) => f.endsWith('.wav')).map((f) => join(DATA, dir, f)));

const require = createRequire(import.meta.url);
const log: string[] = [];
// modelBase is read by the module but missing from its type.
const moduleOptions = { modelBase: join(dirname(require.resolve('soundswallower')), 'model') + '/', print: () => {}, printErr: (line: string) => log.push(line) };
const ss = await createModule(moduleOptions);
const decoder = new ss.Decoder({ samprate: 8000, bestpath: false, loglevel: 'INFO', cmn: 'live' });
await decoder.initialize();
// Any grammar will do: the normalization does not depend on the search.
decoder.set_grammar('#JSGF V1.0;\ngrammar any;\npublic <s> = <w>+;\n<w> = a | the | and | of | to | is | in | it | that | was;\n');

function endMean(): number[] {
  const line = log.findLast((l) => l.includes('Update to'));
  if (!line) throw new Error('PocketSphinx logged no live CMN update');
  return line.replace(/.*</, '').replace(/>.*/, '').split(',').map(Number);
}

/** Passes until no coefficient moves more than STEP (each pass weighs its start as 500 frames of speech). */
const MAX_PASSES = 40;
const STEP = 0.01;
const recordings: { file: string; seconds: number; mean: number[]; lastStep: number }[] = [];
for (const file of files) {
  const wav = readWav(readFileSync(file));
  const line = overTheLine(resample(wav.samples, wav.sampleRate, 8000), 8000, DEFAULT_CHANNEL, seedOf(file)).samples;
  const audio = Float32Array.from(line, (x) => x / 32768);
  let mean = [40, 3, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  let lastStep = Infinity;
  for (let pass = 0; pass < MAX_PASSES && lastStep > STEP; pass++) {
    decoder.set_config('cmninit', mean.map((x) => x.toFixed(2)).join(','));
    await decoder.reinitialize_audio();
    log.length = 0;
    decoder.start();
    for (let at = 0; at < audio.length; at += 160) decoder.process_audio(audio.subarray(at, at + 160), false, false);
    decoder.stop();
    const next = endMean();
    lastStep = Math.max(...next.map((x, i) => Math.abs(x - mean[i]!)));
    mean = next;
  }
  recordings.push({ file: file.slice(DATA.length + 1), seconds: Math.round((line.length / 8000) * 10) / 10, mean: mean.map((x) => Math.round(x * 100) / 100), lastStep: Math.round(lastStep * 1000) / 1000 });
}
const prior = recordings[0]!.mean.map((_, i) => recordings.reduce((sum, r) => sum + r.mean[i]!, 0) / recordings.length);
process.stdout.write(`${JSON.stringify({ recordings, prior: prior.map((x) => x.toFixed(2)).join(',') }, null, 2)}\n`);
