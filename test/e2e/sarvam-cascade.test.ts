// A cascade on Sarvam AI end to end over real sockets, at 8 and 16 kHz: the simulator plays Exotel and a caller
// (flite speech), the gateway runs createCascadeAgent with the Sarvam adapters against the local fakes of Sarvam's
// streaming recogniser and voice and an OpenAI-compatible chat server, and falls back on an offline agent when Sarvam
// fails. The fake voice is one tone per word, so what the caller heard can be measured from the playout.
import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createCascadeAgent } from '../../src/agent/kinds/cascade.js';
import { createSpeechProviders, type SpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { OpenAICompatibleLanguageModel } from '../../src/providers/llm/openai-compatible.js';
import { SarvamSpeechToText } from '../../src/providers/stt/sarvam.js';
import { SarvamTextToSpeech } from '../../src/providers/tts/sarvam.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { startFakeSarvamStt, type FakeSarvamStt } from '../fakes/sarvam-stt.js';
import { FakeSarvamTts } from '../fakes/sarvam-tts.js';
import { FakeOpenAIChat, type ReplyScript } from '../fakes/openai-chat.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway } from '../helpers/e2e-call.js';
import { callerLine, offlineDesk } from '../helpers/offline-desk.js';
import { heardToneMs, nextReply } from '../helpers/heard-audio.js';

const MS_PER_WORD = 150;
const TICK = 20;
const GREETING = 'नमस्ते, ऑर्डर डेस्क से बोल रहे हैं।';
const APOLOGY = 'Sorry, I am having trouble on my side.';

for (const rate of [8000, 16000]) void callerLine('where is my order', rate);

let speech: SpeechProviders;
before(() => {
  speech = createSpeechProviders();
});

interface Rig {
  stt: FakeSarvamStt;
  chat: FakeOpenAIChat;
  tts: FakeSarvamTts;
  journal: MemoryJournal;
  dial(): Promise<SimulatedCall>;
}

async function rig(t: TestContext, rate: number, script: ReplyScript, transcripts: string[]): Promise<Rig> {
  const stt = await startFakeSarvamStt({ script: transcripts.map((transcript) => ({ transcript })), endSilenceMs: 250, transcriptDelayMs: 30 });
  const chat = new FakeOpenAIChat({ script, firstTokenDelayMs: 40, interTokenDelayMs: 10 });
  const chatServer = await chat.start();
  const tts = await FakeSarvamTts.start({ ttfbMs: 30, intervalMs: 0, msPerWord: MS_PER_WORD, sizes: [800] });
  const journal = new MemoryJournal();
  const agent = createCascadeAgent({
    name: 'sarvam-test',
    systemPrompt: 'आप ऑर्डर डेस्क हैं। हिंदी में जवाब दें।',
    greeting: GREETING,
    stt: new SarvamSpeechToText({ apiKey: 'sarvam-stt-test-key', baseUrl: stt.baseUrl }),
    llm: new OpenAICompatibleLanguageModel({ baseUrl: chatServer.baseUrl, apiKey: chat.apiKey, model: 'gpt-4o-mini' }),
    tts: new SarvamTextToSpeech({ apiKey: tts.apiKey, baseUrl: tts.baseUrl, speakers: ['kavya'], language: 'hi-IN' }),
    voice: 'kavya',
    language: 'hi-IN',
    prompts: { apology: APOLOGY, handover: 'Connecting you.' },
    fallback: offlineDesk(speech),
    onFailure: 'fallback',
    turnTaking: { greetingProtectMs: 500 },
  });
  await agent.prepare([rate]);
  const gateway = await startE2eGateway({ env: { EXOTEL_SAMPLE_RATE: String(rate) }, agents: [agent], parts: { journal } });
  t.after(async () => {
    await gateway.close();
    await stt.close();
    await chatServer.close();
    await tts.close();
  });
  return { stt, chat, tts, journal, dial: () => gateway.dial() };
}

function assertHeard(call: SimulatedCall, span: { startMs: number; endMs: number }, text: string): void {
  const ms = heardToneMs(call, span.startMs, span.endMs);
  const expected = text.trim().split(/\s+/).length * MS_PER_WORD;
  assert.ok(Math.abs(ms - expected) <= 3 * TICK, `heard ${ms} ms of tone, expected ${expected} ms for "${text}"`);
}

describe('a cascade on Sarvam over real sockets', { concurrency: 2 }, () => {
  for (const rate of [8000, 16000]) {
    it(`${rate / 1000} kHz: the caller is heard at ${rate} Hz, the transcript reaches the model, the answer is spoken at the call's rate`, async (t) => {
      const answer = ['आपका ऑर्डर ', 'कल पहुँचेगा। ', 'और कुछ?'];
      const r = await rig(t, rate, () => ({ text: answer }), ['मेरा ऑर्डर कहाँ है']);
      const call = await r.dial();
      const greeting = await nextReply(call, 0);
      assertHeard(call, greeting, GREETING);

      void call.sendAudio(await callerLine('where is my order', rate));
      const reply = await nextReply(call, greeting.endMs);
      assertHeard(call, reply, answer.join(''));
      const report = await call.hangup();
      assert.equal(report.violations.length, 0, JSON.stringify(report.violations.slice(0, 3)));

      const conn = r.stt.connections[0]!;
      assert.equal(conn.sampleRate, rate);
      assert.deepEqual([...conn.declaredRates], [rate], 'Sarvam got the call audio at its own rate');
      assert.ok(conn.audio.length > rate, 'the caller audio streamed to Sarvam');
      const last = r.chat.requests[0]?.messages?.filter((m: { role: string }) => m.role === 'user').at(-1);
      assert.equal(last?.content, 'मेरा ऑर्डर कहाँ है');
      const bodies = r.tts.requests.map((q) => q.body as { text: string; speech_sample_rate: number; speaker: string; target_language_code: string });
      assert.deepEqual(bodies.slice(-2).map((b) => b.text), ['आपका ऑर्डर कल पहुँचेगा।', 'और कुछ?'], 'one request per sentence');
      assert.ok(bodies.every((b) => b.speech_sample_rate === rate && b.speaker === 'kavya' && b.target_language_code === 'hi-IN'));
      const turns = r.journal.turns.get(call.callSid) ?? [];
      assert.deepEqual(
        turns.map((x) => [x.role, x.text]),
        [
          ['agent', GREETING],
          ['caller', 'मेरा ऑर्डर कहाँ है'],
          ['agent', 'आपका ऑर्डर कल पहुँचेगा। और कुछ?'],
        ],
      );
    });
  }

  it('Sarvam rate-limits the voice twice: the apology in the offline voice, then the offline brain answers', async (t) => {
    const r = await rig(t, 8000, () => ({ text: ['आपका ऑर्डर कल पहुँचेगा।'] }), ['मेरा ऑर्डर कहाँ है']);
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    r.tts.failNext({ kind: 'rate-limit', retryAfterSec: 1 });
    r.tts.failNext({ kind: 'rate-limit', retryAfterSec: 1 });
    void call.sendAudio(await callerLine('where is my order', 8000));
    await nextReply(call, greeting.endMs);
    await call.hangup();
    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [
      ['tts', 'rate-limited', true],
      ['tts', 'rate-limited', false],
    ]);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover')[0]?.data.to, 'offline');
    // The English offline brain does not know the Hindi transcript: its own fallback line answers.
    assert.equal((r.journal.turns.get(call.callSid) ?? []).at(-1)?.text, `${APOLOGY} I can tell you our opening hours.`);
  });

  it('the recogniser socket closes mid-call: reopened; refused with a bad key (403), the offline recogniser takes over', async (t) => {
    const r = await rig(t, 8000, () => ({ text: ['आपका ऑर्डर कल पहुँचेगा।'] }), ['मेरा ऑर्डर कहाँ है']);
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    (await r.stt.nextConnection()).drop();
    const reopened = await r.stt.nextConnection();
    void call.sendAudio(await callerLine('where is my order', 8000));
    const answer = await nextReply(call, greeting.endMs);
    assertHeard(call, answer, 'आपका ऑर्डर कल पहुँचेगा।');

    r.stt.refuseNext(403, { times: 5 });
    reopened.drop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    void call.sendAudio(await callerLine('where is my order', 8000));
    await nextReply(call, answer.endMs);
    await call.hangup();

    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [
      ['stt', 'connection-lost', true],
      ['stt', 'connection-lost', true],
      ['stt', 'unauthorized', false],
    ]);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover')[0]?.data.to, 'offline');
    assert.equal((r.journal.turns.get(call.callSid) ?? []).at(-1)?.text, 'We are open from nine to five.');
  });
});
