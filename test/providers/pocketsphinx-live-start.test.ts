// Live normalization: where each utterance's cepstral mean starts (the call's previous utterance's end, else the
// worker's telephone prior), and the grammar's fallback for a streamed utterance.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPocketSphinxPool, createPocketSphinxStt, decodeConfidence } from '../../src/providers/stt/pocketsphinx.js';
import type { DecodeResult } from '../../src/providers/stt/pocketsphinx-utterance.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const pool = createPocketSphinxPool({ size: 1, decodersPerWorker: 2, cmn: 'live' });
after(() => pool.close());
const stt = createPocketSphinxStt({ pool, streaming: true, minConfidence: 0 });
const JSGF = '#JSGF V1.0;\ngrammar shop;\npublic <q> = what are your opening hours | where is the shop | yes | no | talk to an agent;\n';
const CMN_VECTOR = /^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){12}$/;

const speech = (text: string, voice: 'rms' | 'awb' | 'slt') => synthesize(text, 8000, voice).then((s) => concat(silence(200, 8000), s, silence(150, 8000)));

/** One utterance straight through the worker's protocol, starting from `cmn` (undefined: the worker's default). */
let n = 0;
async function decode(audio: Int16Array, cmn: string | undefined): Promise<DecodeResult> {
  const utt = `live-start-${++n}`;
  await pool.run({ op: 'open', utt, jsgf: JSGF, cmn });
  await pool.run({ op: 'write', utt, audio: audio.slice() });
  return pool.run<DecodeResult>({ op: 'finish', utt });
}

test('an utterance starts from the mean it is given, ends with its own, and a malformed one falls back to the default', async () => {
  const audio = await speech('where is the shop', 'rms');
  const fromDefault = await decode(audio, undefined);
  assert.match(fromDefault.cmn ?? '', CMN_VECTOR);
  assert.equal(fromDefault.text, 'where is the shop');
  // The same audio from another start normalizes differently: the start is used.
  const fromModelDefault = await decode(audio, '40,3,-1,0,0,0,0,0,0,0,0,0,0');
  assert.notEqual(fromModelDefault.grammarScore, fromDefault.grammarScore);
  assert.notEqual(fromModelDefault.cmn, fromDefault.cmn);
  for (const bad of ['1,2,3', 'NaN,0,0,0,0,0,0,0,0,0,0,0,0', '40,3,-1,0,0,0,0,0,0,0,0,0,0\nx']) {
    assert.deepEqual(await decode(audio, bad), fromDefault, JSON.stringify(bad));
  }
});

test("a call's next utterance starts where its last ended; another call's starts from the default", async () => {
  const grammar = await stt.compileGrammar({ jsgf: JSGF });
  const first = await speech('what are your opening hours', 'awb');
  const second = await speech('yes', 'awb');
  const call = {};
  const stream = (audio: Int16Array, affinity: object) => {
    const u = stt.openUtterance!(8000, { grammar, affinity });
    for (let at = 0; at < audio.length; at += 160) u.write(audio.subarray(at, at + 160));
    return u.finish();
  };
  await stream(first, call);
  const heard = await stream(second, call);
  const other = await stream(second, {});
  const fromCall = await decode(second, (await decode(first, undefined)).cmn);
  const fromDefault = await decode(second, undefined);
  assert.notEqual(decodeConfidence(fromCall), decodeConfidence(fromDefault), 'the two starts must differ for this test to say anything');
  assert.equal(heard.text, fromCall.text);
  assert.equal(heard.confidence, decodeConfidence(fromCall));
  assert.equal(other.text, fromDefault.text);
  assert.equal(other.confidence, decodeConfidence(fromDefault));
});

test('a streamed utterance its grammar does not take is decoded again with the fallback grammar', async () => {
  const fallback = '#JSGF V1.0;\ngrammar words;\npublic <u> = <w>+;\n<w> = what | is | the | weather | like | call | office | today | a;\n';
  const strict = createPocketSphinxStt({ pool, streaming: true });
  const grammar = await strict.compileGrammar({ jsgf: '#JSGF V1.0;\ngrammar dial;\npublic <cmd> = (call | dial) (home | office | mother);\n', fallback });
  const stream = async (text: string) => {
    const u = strict.openUtterance!(8000, { grammar, affinity: {} });
    const audio = await speech(text, 'slt');
    for (let at = 0; at < audio.length; at += 160) u.write(audio.subarray(at, at + 160));
    return u.finish();
  };
  const phrase = await stream('call office');
  assert.equal(phrase.text, 'call office');
  assert.equal(phrase.fallback, undefined);
  const other = await stream('what is the weather like');
  assert.equal(other.fallback, true, JSON.stringify(other));
  assert.match(other.text, /weather/);
});
