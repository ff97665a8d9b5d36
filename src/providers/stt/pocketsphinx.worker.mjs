// SoundSwallower (PocketSphinx) decoders in one worker thread, with the 8 kHz US-English model.
//
// The worker holds up to `decoders` (workerData) grammar decoders sharing one WASM module, each loaded lazily
// (~22-26 MB of model each), plus one phone-loop decoder. An utterance is streamed: `open` claims a free decoder
// (one whose grammar is already set if any, so set_grammar runs only when the grammar differs), `write` feeds it
// as audio arrives, `finish` runs the final search and the confidence pass, `abort` frees it. Utterances beyond
// the free decoders wait here with their audio buffered and are decoded when a decoder frees: none is lost.
// A whole utterance (`recognize`) is the same open/write/finish in one job, so both paths give the same result.
//
// Cepstral mean normalization (`cmn` in workerData) decides when decoding happens:
// - `batch` (default): the mean over the whole utterance, as PocketSphinx does for a whole utterance. Written audio
//   is only buffered (no decoder held); `finish` decodes it all. Accurate, but the decoding waits for the end of the turn.
// - `live`: the mean is estimated as frames arrive, so `write` decodes at once and `finish` is a few ms. Until an
//   utterance ends (or passes 8 s) its frames are normalized by the mean it started from (`cmninit`), so that start
//   decides a short utterance: the mean of the caller's previous utterance on this call when there is one (`cmn` in
//   `open`, returned by `finish`), else TELEPHONE_CMN. The model's own default (40,3,-1,0,...) is far from speech
//   over a telephone line, and from it short words were missed and faint noise accepted. Audio goes to the decoder
//   in fixed 20 ms blocks whatever the chunks it came in, and every utterance starts from the mean it is given
//   (reinitialize_audio), so one caller's audio never shifts another's.
//
// Confidence: the utterance is decoded a second time through a free phone loop (any sequence of the model's
// 39 phones). The difference of the two Viterbi path scores per speech frame is a log-likelihood ratio: high
// when the grammar explains the audio as well as arbitrary speech sounds do, low when the grammar path was
// forced onto something else (other words, noise). The main thread turns it into a confidence. The loop pass
// runs at `finish` on the utterance's buffered audio, or (live, `loop: 'stream'`) on a second decoder fed as the
// audio arrives, which doubles the CPU while the caller speaks; `confidencePass` is the one function to replace
// for another confidence measure.
//
// compallsen: PocketSphinx normalizes acoustic scores per frame by the best senone it evaluated; by default it
// evaluates only the senones the search has active, which differ between the two passes and made the scores
// incomparable (OOG sentences overlapped in-grammar phrases). Scoring all senones in every frame makes the
// normalizer identical for both passes, at ~1.5-3x CPU.
import createModule from 'soundswallower';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { serve, providerError } from '../worker-host.mjs';

const PHONES = 'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' ');
// Underscores never survive grammar normalization, so these cannot collide with grammar words.
const PHONE_WORD_PREFIX = 'phn_';
const LOOP_JSGF = `#JSGF V1.0;\ngrammar phoneloop;\npublic <loop> = <phone>+;\n<phone> = ${PHONES.map((p) => PHONE_WORD_PREFIX + p.toLowerCase()).join(' | ')};\n`;
const FILLERS = new Set(['<sil>', '<s>', '</s>', '(NULL)', '[NOISE]', '[SPEECH]']);
/** 20 ms at 8 kHz. */
const BLOCK = 160;
const MAX_DECODERS = Math.max(1, Number(workerData?.decoders) || 1);
const LIVE = workerData?.cmn === 'live';
/** Live only: the phone loop is decoded alongside as the audio arrives (twice the CPU while the caller speaks, none at the end). */
const STREAM_LOOP = LIVE && workerData?.loop === 'stream';

/**
 * Where live normalization starts for a caller's first utterance: the cepstral mean of human speech over the
 * simulated telephone line (8 kHz, 300-3400 Hz, 20-30 dB SNR, mu-law), as `npm run eval:cmn-prior` computes it from
 * pocketsphinx-testdata's recordings; no evaluation utterance is among them.
 */
const TELEPHONE_CMN = '50.48,-8.10,-5.25,-9.48,-10.78,-8.74,-10.70,-4.50,-8.33,-2.45,-3.74,-2.22,-2.64';
const CMN_VECTOR = /^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){12}$/;
/** The mean the live normalization last ended an utterance with (PocketSphinx logs it; see printErr). */
let loggedCmn = null;

const require = createRequire(import.meta.url);
const modelBase = join(dirname(require.resolve('soundswallower')), 'model') + '/';
const log = [];
const ss = await createModule({
  modelBase,
  print: () => {},
  // Keep the engine's last warnings and errors for error reports instead of writing to stderr.
  printErr: (line) => {
    if (line.startsWith('INFO:')) {
      // "INFO: cmn_live.c(103): Update to   < 41.77,5.04,... >": decoders run one at a time, so it is the one stopping.
      const update = /Update to\s*<\s*([^>]*?)\s*>/.exec(line);
      if (update && CMN_VECTOR.test(update[1])) loggedCmn = update[1];
      return;
    }
    log.push(line);
    if (log.length > 20) log.shift();
  },
});
const scorePtr = ss._malloc(4);

async function newDecoder() {
  // INFO: the live mean at the end of an utterance is only to be had from the log.
  const decoder = new ss.Decoder({ samprate: 8000, bestpath: false, compallsen: true, loglevel: LIVE ? 'INFO' : 'ERROR' });
  await decoder.initialize();
  decoder.add_words(...PHONES.map((p) => [PHONE_WORD_PREFIX + p.toLowerCase(), p]));
  return { decoder, jsgf: null, utt: null };
}

/** Grammar decoders (`utt` is the utterance holding one), and the phone-loop one. */
const slots = [await newDecoder()];
const loop = await newDecoder();
setGrammar(loop, LOOP_JSGF);
/** Utterances by id: { id, jsgf, slot, audio: 8 kHz samples so far (audio[0..length)), fed: samples decoded, running }. */
const utterances = new Map();
/** Utterances waiting for a decoder, oldest first. */
const waiting = [];
let wholeJobs = 0;
/** Temporary decoders made so far (an utterance finished while every decoder held another). */
let temporaries = 0;
/** Loop passes run at `finish` on the worker's own loop decoder. */
let loopRuns = 0;

function lastEngineError() {
  return log.length ? `: ${log[log.length - 1].trim()}` : '';
}

function setGrammar(slot, jsgf) {
  if (slot.jsgf === jsgf) return;
  log.length = 0;
  slot.jsgf = null;
  try {
    slot.decoder.set_grammar(jsgf);
  } catch (err) {
    throw providerError('invalid-input', `grammar rejected by PocketSphinx (${err.message}${lastEngineError()})`);
  }
  slot.jsgf = jsgf;
}

/** A free decoder, preferring one with `jsgf` already set; a new one if none is free and fewer than the limit exist. */
async function freeSlot(jsgf) {
  const free = slots.filter((s) => s.utt === null);
  const slot = free.find((s) => s.jsgf === jsgf) ?? free[0];
  if (slot) return slot;
  if (slots.length >= MAX_DECODERS) return undefined;
  const fresh = await newDecoder();
  slots.push(fresh);
  return fresh;
}

/** Starts an utterance on a decoder with live normalization reset, and feeds what it had buffered. */
async function begin(utt, slot) {
  setGrammar(slot, utt.jsgf);
  slot.utt = utt;
  utt.slot = slot;
  if (LIVE) await startLive(slot.decoder, utt.cmn);
  utt.running = LIVE;
  decodeBlocks(utt);
}

/** Starts a live utterance on `decoder` from the cepstral mean `cmn`. */
async function startLive(decoder, cmn) {
  decoder.set_config('cmninit', cmn);
  await decoder.reinitialize_audio();
  decoder.start();
}

/** Appends 8 kHz samples to the utterance and decodes its whole 20 ms blocks (if it has a decoder). */
function append(utt, pcm) {
  if (utt.length + pcm.length > utt.audio.length) {
    const grown = new Float32Array(Math.max(utt.audio.length * 2, utt.length + pcm.length));
    grown.set(utt.audio.subarray(0, utt.length));
    utt.audio = grown;
  }
  for (let i = 0; i < pcm.length; i++) utt.audio[utt.length + i] = pcm[i] / 32768;
  utt.length += pcm.length;
}

function feed(utt, pcm) {
  append(utt, pcm);
  decodeBlocks(utt);
  if (utt.twin) feed(utt.twin, pcm);
}

/** Live: decodes the whole 20 ms blocks not decoded yet. */
function decodeBlocks(utt) {
  if (!utt.slot || !LIVE) return;
  const whole = utt.length - ((utt.length - utt.fed) % BLOCK);
  for (; utt.fed + BLOCK <= whole; utt.fed += BLOCK) utt.slot.decoder.process_audio(utt.audio.subarray(utt.fed, utt.fed + BLOCK), false, false);
}

/** Frees the utterance's decoder (ending its search) and hands it to the next waiting utterance. */
async function release(utt) {
  if (utt.twin) {
    const twin = utt.twin;
    utt.twin = null;
    await release(twin);
  }
  utterances.delete(utt.id);
  const at = waiting.indexOf(utt);
  if (at >= 0) waiting.splice(at, 1);
  const slot = utt.slot;
  if (!slot) return;
  if (slot.decoder && utt.running) slot.decoder.stop();
  slot.utt = null;
  utt.slot = null;
  if (utt.temporary === slot) {
    // A temporary decoder (see waitForSlot) goes once used.
    slot.decoder.delete();
    utt.temporary = null;
    return;
  }
  const next = waiting.shift();
  if (next) await begin(next, (await freeSlot(next.jsgf)) ?? slot);
}

/** Best path through the decoder's current grammar: words (fillers dropped), score, speech frames. */
function bestPath(decoder) {
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

/** Decodes a whole utterance with batch normalization. */
function decodeWhole(decoder, audio) {
  decoder.start();
  decoder.process_audio(audio, false, true);
  decoder.stop();
}

/** The confidence pass: the same audio (in the same 20 ms blocks when live) through the phone loop; its path score. */
async function loopScore(audio, cmn) {
  loopRuns++;
  setGrammar(loop, LOOP_JSGF);
  if (LIVE) {
    await startLive(loop.decoder, cmn);
    for (let at = 0; at < audio.length; at += BLOCK) loop.decoder.process_audio(audio.subarray(at, Math.min(at + BLOCK, audio.length)), false, false);
    loop.decoder.stop();
  } else decodeWhole(loop.decoder, audio);
  return bestPath(loop.decoder).score;
}

async function open(id, jsgf, cmn) {
  if (utterances.has(id)) throw providerError('invalid-input', `utterance ${id} is already open`);
  const utt = newUtterance(id, jsgf, typeof cmn === 'string' && CMN_VECTOR.test(cmn) ? cmn : TELEPHONE_CMN);
  // Batch decodes only at `finish`, one job at a time: the utterance needs a decoder only then.
  if (!LIVE) return;
  await claim(utt);
  if (STREAM_LOOP) {
    utt.twin = newUtterance(`${id}/loop`, LOOP_JSGF, utt.cmn);
    await claim(utt.twin);
  }
}

function newUtterance(id, jsgf, cmn) {
  const utt = { id, jsgf, cmn, slot: null, audio: new Float32Array(8000), length: 0, fed: 0, running: false, twin: null, temporary: null };
  utterances.set(id, utt);
  return utt;
}

/** A decoder for the utterance now, or a place in the wait for one. */
async function claim(utt) {
  const slot = await freeSlot(utt.jsgf);
  if (!slot) return void waiting.push(utt);
  try {
    await begin(utt, slot);
  } catch (err) {
    utt.running = false;
    await release(utt);
    throw err;
  }
}

/** Ends the utterance's search (decoding what is left) and frees its decoder: the best path. */
async function finalPath(utt) {
  if (!utt.slot) await begin(utt, await waitForSlot(utt));
  const { decoder } = utt.slot;
  const audio = utt.audio.subarray(0, utt.length);
  if (LIVE) {
    if (utt.length > utt.fed) decoder.process_audio(audio.subarray(utt.fed), false, false);
    utt.fed = utt.length;
    loggedCmn = null;
    decoder.stop();
    utt.running = false;
    utt.cmnAfter = loggedCmn;
  } else decodeWhole(decoder, audio);
  const best = bestPath(decoder);
  await release(utt);
  return best;
}

async function finish(utt) {
  // The streamed loop twin outlives the grammar decoder's release.
  const twin = utt.twin;
  utt.twin = null;
  try {
    const best = await finalPath(utt);
    // The caller's mean so far, where the next utterance of the call starts (live only).
    const cmn = utt.cmnAfter ?? undefined;
    if (!best.text) return { text: '', cmn };
    const path = { text: best.text, grammarScore: best.score, speechFrames: best.speechFrames, words: best.words, cmn };
    // A fallback grammar's words are judged by their own probabilities: no phone-loop pass.
    if (utt.phoneLoop === false) return path;
    return { ...path, loopScore: await confidencePass(utt, twin) };
  } finally {
    if (twin && utterances.has(twin.id)) await release(twin);
  }
}

/** The phone loop's path score for the utterance: streamed alongside (STREAM_LOOP, `twin`), else decoded now. */
async function confidencePass(utt, twin) {
  if (twin) return (await finalPath(twin)).score;
  return loopScore(utt.audio.subarray(0, utt.length), utt.cmn);
}

/**
 * The utterance is finishing but still waits for a decoder (more open utterances than decoders): it takes
 * the place of the oldest waiting one's turn, since a finished utterance answers a caller now.
 */
async function waitForSlot(utt) {
  const at = waiting.indexOf(utt);
  if (at >= 0) waiting.splice(at, 1);
  const free = await freeSlot(utt.jsgf);
  if (free) return free;
  // Every decoder holds a live utterance: decode this one on a temporary decoder rather than wait for a caller to stop.
  const temp = await newDecoder();
  temporaries++;
  utt.temporary = temp;
  return temp;
}

function utterance(id) {
  const utt = utterances.get(id);
  if (!utt) throw providerError('invalid-input', `no open utterance ${id}`);
  return utt;
}

serve(async (job) => {
  switch (job.op) {
    case 'check': {
      const { decoder } = slots[0];
      const missing = job.words.filter((w) => decoder.lookup_word(w) === null);
      if (missing.length === 0) {
        // Parse errors surface here, at compile time; with every decoder busy the loop decoder checks it and gets its loop back.
        const slot = (await freeSlot(job.jsgf)) ?? loop;
        setGrammar(slot, job.jsgf);
        if (slot === loop) setGrammar(loop, LOOP_JSGF);
      }
      return { result: { missing } };
    }
    case 'open':
      await open(job.utt, job.jsgf, job.cmn);
      return { result: {} };
    case 'write':
      feed(utterance(job.utt), job.audio);
      return { result: {} };
    case 'finish':
      return { result: await finishAndFree(utterance(job.utt)) };
    case 'abort': {
      const utt = utterances.get(job.utt);
      if (utt) await release(utt);
      return { result: {} };
    }
    case 'status':
      // What tests and benches check: decoders loaded, held by an utterance, utterances waiting for one.
      return { result: { decoders: slots.length, held: slots.filter((s) => s.utt).length, waiting: waiting.length, temporaries, loopRuns } };
    case 'recognize': {
      const id = `whole-${++wholeJobs}`;
      await open(id, job.jsgf, job.cmn);
      const utt = utterance(id);
      utt.phoneLoop = job.phoneLoop !== false;
      feed(utt, job.audio);
      return { result: await finishAndFree(utt) };
    }
  }
  throw providerError('invalid-input', `unknown job ${job.op}`);
}, { wasmBytes: () => ss.HEAPU8.byteLength });

/** Finishes an utterance; on failure its decoders are freed all the same. */
async function finishAndFree(utt) {
  try {
    return await finish(utt);
  } finally {
    if (utterances.has(utt.id) || utt.twin) await release(utt);
  }
}
