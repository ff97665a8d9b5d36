// One SoundSwallower (PocketSphinx) decoder per worker thread, with the 8 kHz US-English model.
//
// Each utterance is decoded twice: once through the requested grammar and once through a free
// phone loop (any sequence of the model's 39 phones). The difference of the two Viterbi path
// scores per speech frame is a log-likelihood ratio: high when the grammar explains the audio as
// well as arbitrary speech sounds do, low when the grammar path was forced onto something else
// (other words, noise). The main thread turns it into a confidence and a reject decision.
//
// compallsen: PocketSphinx normalizes acoustic scores per frame by the best senone it evaluated;
// by default it evaluates only the senones the search has active, which differ between the two
// passes and made the scores incomparable (OOG sentences overlapped in-grammar phrases). Scoring
// all senones in every frame makes the normalizer identical for both passes, at ~1.5-2x CPU.
import createModule from 'soundswallower';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve, providerError } from '../worker-host.mjs';

const PHONES = 'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' ');
// Underscores never survive grammar normalization, so these cannot collide with grammar words.
const PHONE_WORD_PREFIX = 'phn_';
const LOOP_JSGF = `#JSGF V1.0;\ngrammar phoneloop;\npublic <loop> = <phone>+;\n<phone> = ${PHONES.map((p) => PHONE_WORD_PREFIX + p.toLowerCase()).join(' | ')};\n`;
const FILLERS = new Set(['<sil>', '<s>', '</s>', '(NULL)', '[NOISE]', '[SPEECH]']);

const require = createRequire(import.meta.url);
const modelBase = join(dirname(require.resolve('soundswallower')), 'model') + '/';
const log = [];
const ss = await createModule({
  modelBase,
  print: () => {},
  // Keep the engine's last messages for error reports instead of writing to stderr.
  printErr: (line) => {
    log.push(line);
    if (log.length > 20) log.shift();
  },
});
const decoder = new ss.Decoder({ samprate: 8000, bestpath: false, compallsen: true, loglevel: 'ERROR' });
await decoder.initialize();
decoder.add_words(...PHONES.map((p) => [PHONE_WORD_PREFIX + p.toLowerCase(), p]));
const scorePtr = ss._malloc(4);

function lastEngineError() {
  return log.length ? `: ${log[log.length - 1].trim()}` : '';
}

function setGrammar(jsgf) {
  log.length = 0;
  try {
    decoder.set_grammar(jsgf);
  } catch (err) {
    throw providerError('invalid-input', `grammar rejected by PocketSphinx (${err.message}${lastEngineError()})`);
  }
}

/** Decodes with the current grammar: best path words (fillers dropped), its score, its speech frames. */
function decode(pcm) {
  decoder.start();
  decoder.process_audio(pcm, false, true);
  decoder.stop();
  const text = decoder.get_text();
  if (!text) return { text: '', score: 0, speechFrames: 0 };
  ss._decoder_hyp(decoder.cdecoder, scorePtr);
  const score = new DataView(ss.HEAPU8.buffer).getInt32(scorePtr, true);
  let speechFrames = 0;
  // Each word with the decoder's probability for its segment (per-digit confidence of a number).
  const words = [];
  for (const seg of decoder.get_alignment().w ?? []) {
    if (FILLERS.has(seg.t)) continue;
    speechFrames += Math.round(seg.d * 100);
    words.push({ text: seg.t.replace(/\(\d+\)$/, ''), p: seg.p });
  }
  return { text, score, speechFrames, words };
}

serve(async (job) => {
  if (job.op === 'check') {
    const missing = job.words.filter((w) => decoder.lookup_word(w) === null);
    if (missing.length === 0) setGrammar(job.jsgf);
    return { result: { missing } };
  }
  if (job.op === 'recognize') {
    const pcm = new Float32Array(job.audio.length);
    for (let i = 0; i < pcm.length; i++) pcm[i] = job.audio[i] / 32768;
    setGrammar(job.jsgf);
    const best = decode(pcm);
    if (!best.text) return { result: { text: '' } };
    // A fallback grammar's words are judged by their own probabilities: no phone-loop pass.
    if (job.phoneLoop === false) return { result: { text: best.text, grammarScore: best.score, speechFrames: best.speechFrames, words: best.words } };
    setGrammar(LOOP_JSGF);
    const loop = decode(pcm);
    return {
      result: {
        text: best.text,
        grammarScore: best.score,
        loopScore: loop.score,
        speechFrames: best.speechFrames,
        words: best.words,
      },
    };
  }
  throw providerError('invalid-input', `unknown job ${job.op}`);
}, { wasmBytes: () => ss.HEAPU8.byteLength });
