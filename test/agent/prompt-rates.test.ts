// Prompts are ready at every rate a call can have before the first call: each is synthesized once, at its voice's
// native rate, and its 8, 16 and 24 kHz copies are that audio resampled. A 16 or 24 kHz call's greeting then
// plays from memory, with no synthesis job, like an 8 kHz one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { resample } from '../../src/audio/resample-buffer.js';
import { EXOTEL_SAMPLE_RATES } from '../../src/config/env.js';
import { VoiceBank } from '../../src/conversation/voice-bank.js';
import { fliteWorkerPool } from '../../src/providers/tts/flite.js';
import { startE2eGateway, type E2eGateway } from '../helpers/e2e-call.js';

const AGENT = `
name: rates-test
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: Hello, thank you for calling. How can I help?
prompts: { fallback: I can tell you our opening hours., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Anything else? }
intents: [{ name: hours, examples: [what are your opening hours], reply: We are open from nine to five. }]
`;

const speech = createSpeechProviders({ ttsPoolSize: 1, sttPoolSize: 1 });
const agent = new OfflineAgent(parseAgentDefinition(AGENT, 'rates-test.yaml'), { file: 'rates-test.yaml', providers: speech });
/** The shared flite pool the agent's voice runs on: its job count is the number of syntheses. */
const pool = fliteWorkerPool();
const jobs = () => pool.workers().reduce((n, w) => n + w.jobs, 0);
const sentences = [...new Set(agent.brain.fixedReplies().flatMap((r) => VoiceBank.sentences(r.text)))];
const gateways: E2eGateway[] = [];
let jobsAfterPrepare = 0;

before(async () => {
  await agent.prepare(EXOTEL_SAMPLE_RATES);
  jobsAfterPrepare = jobs();
  for (const rate of [16000, 24000]) gateways.push(await startE2eGateway({ env: { EXOTEL_SAMPLE_RATE: String(rate) }, agents: [agent] }));
});

after(async () => {
  for (const g of gateways) await g.close();
});

test('preparing three rates synthesizes each prompt sentence once', () => {
  assert.ok(sentences.length >= 7, sentences.join(' | '));
  assert.equal(jobsAfterPrepare, sentences.length);
});

test("each rate's cached copy is the resampling of the native (8 kHz, kal) audio", () => {
  const voice = agent.settings.voice;
  for (const sentence of sentences) {
    const native = speech.voices.audio(sentence, voice, 8000);
    assert.ok(native instanceof Int16Array, `cached at 8000: ${sentence}`);
    for (const rate of [16000, 24000]) {
      const copy = speech.voices.audio(sentence, voice, rate);
      assert.ok(copy instanceof Int16Array, `cached at ${rate}: ${sentence}`);
      assert.deepEqual(copy, resample(native, 8000, rate), `${rate}: ${sentence}`);
    }
  }
  const at8 = speech.voices.cachedBytes(8000);
  assert.ok(at8 > 0);
  assert.equal(speech.voices.cachedBytes(16000), speech.voices.cachedBytes(8000) * 2);
  assert.equal(speech.voices.cachedBytes(), at8 + speech.voices.cachedBytes(16000) + speech.voices.cachedBytes(24000));
});

test('a 16 kHz and a 24 kHz call hear their greeting from the cache: no synthesis job', async () => {
  for (const [i, rate] of [16000, 24000].entries()) {
    const call = await gateways[i]!.dial();
    const first = await call.waitFor('firstBotAudio', { timeoutMs: 10_000 });
    assert.ok(first.atMs >= 0);
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 10_000 });
    const report = await call.hangup();
    assert.equal(report.sampleRate, rate);
    assert.equal(report.violations.length, 0, JSON.stringify(report.violations.slice(0, 3)));
  }
  assert.equal(jobs(), jobsAfterPrepare, 'no synthesis after start-up');
});
