// Cascade definitions with Sarvam AI's recogniser and voice: the keys they accept, their defaults, the messages a
// wrong one gets, and the adapters the assembly builds from them (talking to the local fakes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { DefinitionEnv, createCascadeVoice, createStreamingStt, missingVariables, variableRefs } from '../../src/agent/assembly/cloud-providers.js';
import type { SpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import type { CascadeDefinition } from '../../src/agent/definition/cloud-schema.js';
import { AgentDefinitionError, parseDefinition } from '../../src/agent/definition/loader.js';
import { loadProviderConfig } from '../../src/config/providers.js';
import type { SttEvent } from '../../src/providers/types.js';
import { startFakeSarvamStt } from '../fakes/sarvam-stt.js';
import { FakeSarvamTts } from '../fakes/sarvam-tts.js';

/** Sarvam voices need none of the offline engines. */
const NO_OFFLINE = { tts: new Map() } as unknown as SpeechProviders;

const HINDI = {
  kind: 'cascade',
  name: 'hindi-desk',
  language: 'hi-IN',
  systemPrompt: 'आप एक दुकान की सहायक हैं।',
  greeting: 'नमस्ते!',
  stt: { provider: 'sarvam' },
  brain: { provider: 'llm' },
  voice: { provider: 'sarvam' },
};

function parsed(def: object): CascadeDefinition {
  return parseDefinition(stringify(def), 'agents/hindi-desk.yaml') as CascadeDefinition;
}

function problems(def: object): string[] {
  try {
    parseDefinition(stringify(def), 'agents/x.yaml');
  } catch (err) {
    assert.ok(err instanceof AgentDefinitionError, String(err));
    return err.problems;
  }
  assert.fail('expected the definition to be rejected');
}

test('defaults: saaras:v3 in the agent language, bulbul:v3, SARVAM_API_KEY and SARVAM_BASE_URL', () => {
  const def = parsed(HINDI);
  assert.deepEqual(def.stt, { provider: 'sarvam', model: 'saaras:v3', highVadSensitivity: false, apiKeyEnv: 'SARVAM_API_KEY', baseUrlEnv: 'SARVAM_BASE_URL' });
  assert.deepEqual(def.voice, { provider: 'sarvam', model: 'bulbul:v3', apiKeyEnv: 'SARVAM_API_KEY', baseUrlEnv: 'SARVAM_BASE_URL' });
  assert.deepEqual(
    variableRefs(def).map((r) => `${r.field}=${r.name}`),
    ['stt.apiKeyEnv=SARVAM_API_KEY', 'stt.baseUrlEnv=SARVAM_BASE_URL', 'brain.apiKeyEnv=LLM_API_KEY', 'brain.baseUrlEnv=LLM_BASE_URL', 'voice.apiKeyEnv=SARVAM_API_KEY', 'voice.baseUrlEnv=SARVAM_BASE_URL'],
  );
  assert.deepEqual(missingVariables(def, loadProviderConfig({ OPENAI_API_KEY: 'k' })), ['SARVAM_API_KEY'], 'one key for both, the base URL has a default');
  assert.deepEqual(missingVariables(def, loadProviderConfig({ OPENAI_API_KEY: 'k', SARVAM_API_KEY: 's' })), []);
});

test('every documented key is accepted', () => {
  const def = parsed({
    ...HINDI,
    stt: { provider: 'sarvam', model: 'saaras:v3', language: 'unknown', mode: 'codemix', highVadSensitivity: true, apiKeyEnv: 'MY_SARVAM_KEY', baseUrlEnv: 'MY_SARVAM_URL' },
    voice: { provider: 'sarvam', model: 'bulbul:v3', speaker: 'kavya', language: 'ta-IN', pace: 1.25, temperature: 0.6 },
  });
  assert.equal(def.stt.provider === 'sarvam' && def.stt.mode, 'codemix');
  assert.equal(def.voice.provider === 'sarvam' && def.voice.speaker, 'kavya');
  const v2 = parsed({ ...HINDI, stt: { provider: 'sarvam', model: 'saarika:v2.5', language: 'bn-IN' }, voice: { provider: 'sarvam', model: 'bulbul:v2', speaker: 'anushka', pace: 2.5, pitch: 0.1, loudness: 1.2 } });
  assert.equal(v2.voice.provider === 'sarvam' && v2.voice.pitch, 0.1);
});

test('wrong keys name their field', () => {
  assert.deepEqual(problems({ ...HINDI, stt: { provider: 'sarvam', model: 'saarika:v2.5', mode: 'translate' } }), ['stt.mode: needs a saaras model (saarika:v2.5 only transcribes)']);
  assert.deepEqual(problems({ ...HINDI, voice: { provider: 'sarvam', pace: 2.5 } }), ['voice.pace: must be 0.5-2 for bulbul:v3']);
  assert.deepEqual(problems({ ...HINDI, voice: { provider: 'sarvam', pitch: 0.2 } }), ['voice.pitch: is bulbul:v2 only']);
  assert.deepEqual(problems({ ...HINDI, voice: { provider: 'sarvam', model: 'bulbul:v2', temperature: 0.5 } }), ['voice.temperature: is bulbul:v3 only']);
  assert.match(problems({ ...HINDI, stt: { provider: 'sarvam', model: 'saaras:v9' } })[0]!, /^stt\.model: /);
  assert.match(problems({ ...HINDI, voice: { provider: 'sarvam', speaker: 'Kavya Sharma' } })[0]!, /^voice\.speaker: must be a speaker name/);
  assert.match(problems({ ...HINDI, stt: { provider: 'sarvam', apiKey: 'sk-123' } })[0]!, /^stt: /);
  // Languages Sarvam does not speak, wherever they come from.
  assert.match(problems({ ...HINDI, language: 'fr-FR' }).join('; '), /^language: Sarvam has no language "fr-FR".*; language: Sarvam has no language "fr-FR"/);
  assert.match(problems({ ...HINDI, voice: { provider: 'sarvam', language: 'ur-IN' } })[0]!, /^voice\.language: Sarvam has no language "ur-IN"/);
  assert.match(problems({ ...HINDI, stt: { provider: 'sarvam', model: 'saarika:v2.5', language: 'ur-IN' } })[0]!, /^stt\.language: /);
  assert.equal(parsed({ ...HINDI, stt: { provider: 'sarvam', language: 'ur-IN' }, voice: { provider: 'sarvam' } }).language, 'hi-IN', 'saaras:v3 hears Urdu');
  assert.equal(parsed({ ...HINDI, stt: { provider: 'sarvam', model: 'saaras:v4', language: 'ur-IN', mode: 'translate' } }).stt.provider, 'sarvam', 'saaras:v4 too');
});

test('the assembly builds Sarvam adapters that reach the configured endpoint with the configured key', { timeout: 15_000 }, async () => {
  const sttFake = await startFakeSarvamStt({ script: [{ transcript: 'haan ji', language: 'hi-IN' }] });
  const ttsFake = await FakeSarvamTts.start();
  try {
    const def = parsed({ ...HINDI, stt: { provider: 'sarvam', language: 'unknown' }, voice: { provider: 'sarvam', speaker: 'priya', pace: 0.9 } });
    const sttEnv = new DefinitionEnv(loadProviderConfig({ SARVAM_API_KEY: 'sarvam-stt-test-key', SARVAM_BASE_URL: sttFake.baseUrl }), 'agents/hindi-desk.yaml');
    const stt = createStreamingStt(def.stt, sttEnv);
    assert.equal(stt.name, 'sarvam');
    const events: SttEvent[] = [];
    const stream = await stt.open({ sampleRate: 8000, language: 'hi-IN', onEvent: (e) => events.push(e) });
    const conn = await sttFake.nextConnection();
    assert.equal(conn.query.get('language-code'), 'unknown', "the spec's language wins over the agent's");
    await stream.close();

    const ttsEnv = new DefinitionEnv(loadProviderConfig({ SARVAM_API_KEY: ttsFake.apiKey, SARVAM_BASE_URL: ttsFake.baseUrl }), 'agents/hindi-desk.yaml');
    const { tts, voice } = createCascadeVoice(def.voice, ttsEnv, NO_OFFLINE, def.language);
    assert.equal(voice, 'priya');
    const out = await tts.synthesize('नमस्ते जी', { sampleRate: 16000, voice });
    assert.equal(out.samples.length, ttsFake.expected('नमस्ते जी', 16000).length);
    assert.deepEqual(ttsFake.requests.at(-1)!.body, {
      text: 'नमस्ते जी',
      target_language_code: 'hi-IN',
      speaker: 'priya',
      model: 'bulbul:v3',
      speech_sample_rate: 16000,
      output_audio_codec: 'linear16',
      pace: 0.9,
    });
    const v2 = createCascadeVoice(parsed({ ...HINDI, voice: { provider: 'sarvam', model: 'bulbul:v2' } }).voice, ttsEnv, NO_OFFLINE, 'hi-IN');
    assert.equal(v2.voice, 'anushka', "bulbul:v2's default speaker");
  } finally {
    await sttFake.close();
    await ttsFake.close();
  }
});
