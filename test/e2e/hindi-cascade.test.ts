// The shipped Hindi front desk (agents/front-desk-hindi.yaml) end to end over real sockets: the simulator plays
// Exotel and a caller, the gateway runs the definitions as start-up builds them, against local fakes of Sarvam's
// streaming recogniser (the caller's turns come from its script, in Hindi, with the language it detected) and voice,
// an OpenAI-compatible chat server and an order service. Replies are checked in the transcript as written, and in
// what the voice was asked to say: numbers in Hindi words, at the call's rate.
import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AGENTS_DIR, createBuiltinAgents } from '../../src/agent/assembly/build-catalog.js';
import type { AgentCatalog } from '../../src/agent/assembly/catalog.js';
import type { PreparedAgent } from '../../src/agent/kinds/preparation.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { startFakeSarvamStt, type FakeSarvamStt, type FakeSarvamUtterance } from '../fakes/sarvam-stt.js';
import { FakeSarvamTts } from '../fakes/sarvam-tts.js';
import { FakeOpenAIChat, type ReplyScript } from '../fakes/openai-chat.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway } from '../helpers/e2e-call.js';
import { heardToneMs } from '../helpers/heard-audio.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const dir = mkdtempSync(join(tmpdir(), 'hindi-cascade-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// The shipped definitions; the voice reads its root from another variable, as the two fakes listen on two ports.
for (const f of ['front-desk.yaml', 'front-desk-hindi-keypad.yaml', 'cascade.yaml']) copyFileSync(join(AGENTS_DIR, f), join(dir, f));
const HINDI = parse(readFileSync(join(AGENTS_DIR, 'front-desk-hindi.yaml'), 'utf8'));
writeFileSync(join(dir, 'front-desk-hindi.yaml'), stringify({ ...HINDI, voice: { ...HINDI.voice, baseUrlEnv: 'TEST_SARVAM_TTS_URL' } }));

const KEY = 'sarvam-test-key-0123456789';

interface Rig {
  catalog: AgentCatalog;
  stt: FakeSarvamStt;
  tts: FakeSarvamTts;
  chat: FakeOpenAIChat;
  orders: string[];
  journal: MemoryJournal;
  rate: number;
  dial(params?: Record<string, string>): Promise<SimulatedCall>;
}

async function rig(t: TestContext, rate: number, utterances: FakeSarvamUtterance[], script: ReplyScript, prepare: string[]): Promise<Rig> {
  const stt = await startFakeSarvamStt({ apiKey: KEY, script: utterances, endSilenceMs: 250, transcriptDelayMs: 30 });
  const tts = await FakeSarvamTts.start({ apiKey: KEY, ttfbMs: 30, intervalMs: 0, msPerWord: 150, sizes: [800] });
  const chat = new FakeOpenAIChat({ script, firstTokenDelayMs: 30, interTokenDelayMs: 5 });
  const chatServer = await chat.start();
  const orders: string[] = [];
  const orderService: Server = createServer((req, res) => {
    orders.push(new URL(req.url ?? '/', 'http://x').searchParams.get('order_id') ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'shipped yesterday', amount: 125000 }));
  });
  await new Promise<void>((r) => orderService.listen(0, '127.0.0.1', r));
  const port = (orderService.address() as { port: number }).port;
  const env = {
    SARVAM_API_KEY: KEY,
    SARVAM_BASE_URL: stt.baseUrl,
    TEST_SARVAM_TTS_URL: tts.baseUrl,
    LLM_BASE_URL: chatServer.baseUrl,
    LLM_API_KEY: chat.apiKey,
    ORDER_STATUS_URL: `http://127.0.0.1:${port}/orders`,
  };
  const catalog = createBuiltinAgents(undefined, { env, agentsDir: dir, warn: () => {} });
  await Promise.all([...new Set(prepare.map((n) => catalog.get(n) as PreparedAgent))].map((a) => a.prepare([rate])));
  const journal = new MemoryJournal();
  const gateway = await startE2eGateway({ env: { EXOTEL_SAMPLE_RATE: String(rate) }, parts: { journal, agents: catalog } });
  t.after(async () => {
    await gateway.close();
    await stt.close();
    await chatServer.close();
    await tts.close();
    await new Promise((r) => orderService.close(r));
  });
  return { catalog, stt, tts, chat, orders, journal, rate, dial: (params = { agent: 'front-desk-hindi' }) => gateway.dial({ webhookParams: params }) };
}

/** Speech the fake recogniser hears as one utterance (its words come from its script). */
async function speak(call: SimulatedCall, rate: number): Promise<void> {
  await call.sendAudio(concat(await synthesize('hello there', rate, 'rms'), silence(400, rate)));
}

function agentSays(r: Rig, call: SimulatedCall, test: (text: string) => boolean, from = 0): Promise<number> {
  return r.journal.agentTurn(call.callSid, test, from);
}

const said = (r: Rig) => r.tts.requests.map((q) => q.body as { text: string; target_language_code: string; speaker: string; speech_sample_rate: number });

describe('the Hindi front desk on Sarvam and an LLM', { concurrency: 1 }, () => {
  it('converses in Hindi at 16 kHz: the order tool, the answer written with digits and spoken with Hindi numbers, goodbye', async (t) => {
    const answer = ['आपका ऑर्डर 47219 ', 'कल भेजा गया था। ', 'बिल ₹1,25,000 का है।'];
    const script: ReplyScript = (req) => {
      const last = req.messages!.at(-1);
      if (last.role === 'tool') return { text: answer };
      const caller = String(last.content);
      if (caller.includes('47219')) return { toolCalls: [{ name: 'order_status', arguments: '{"order_id":"47219"}' }] };
      return { toolCalls: [{ name: 'end_call', arguments: '{}' }] };
    };
    const r = await rig(t, 16000, [{ transcript: 'मेरा order 47219 कहाँ है?', language: 'hi-IN' }, { transcript: 'बस, धन्यवाद।', language: 'hi-IN' }], script, ['front-desk-hindi']);
    const call = await r.dial();
    const greeting = await agentSays(r, call, (x) => x === HINDI.greeting);
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 30_000 });
    await speak(call, r.rate);
    const reply = await agentSays(r, call, (x) => x === answer.join('').trim(), greeting + 1);
    const playing = call.elapsedMs();
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply && e.atMs > playing, timeoutMs: 30_000 });
    await speak(call, r.rate);
    await agentSays(r, call, (x) => x === HINDI.prompts.goodbye, reply + 1);
    const report = await call.ended();
    assert.equal(report.closeReason, 'bot-hangup');
    assert.equal(report.violations.length, 0, JSON.stringify(report.violations.slice(0, 3)));

    const turns = r.journal.turns.get(call.callSid)!.map((x) => [x.role, x.text]);
    assert.deepEqual(turns, [
      ['agent', HINDI.greeting],
      ['caller', 'मेरा order 47219 कहाँ है?'],
      ['agent', answer.join('').trim()],
      ['caller', 'बस, धन्यवाद।'],
      ['agent', HINDI.prompts.goodbye],
    ]);
    assert.deepEqual(r.orders, ['47219'], 'the order tool asked the order service');
    assert.equal(r.chat.requests[0]!.messages![0].content, HINDI.systemPrompt.trim());
    const texts = said(r).map((b) => b.text);
    assert.ok(texts.includes('आपका ऑर्डर चार सात दो एक नौ कल भेजा गया था।'), JSON.stringify(texts));
    assert.ok(texts.includes('बिल एक लाख पच्चीस हज़ार रुपये का है।'), JSON.stringify(texts));
    assert.ok(texts.includes('For English, press nine.'), 'the greeting, in the same voice');
    for (const b of said(r)) {
      assert.deepEqual([b.target_language_code, b.speaker, b.speech_sample_rate], ['hi-IN', 'kavya', 16000], 'Hindi, the definition\'s speaker, the call\'s rate');
      assert.ok(!/\d/.test(b.text), `no digit reaches the voice: "${b.text}"`);
    }
    assert.ok(heardToneMs(call, 0, call.elapsedMs()) > 3000, 'the caller heard the replies');
    const conn = r.stt.connections[0]!;
    assert.equal(conn.query.get('language-code'), 'unknown', 'Sarvam detects the language');
    assert.deepEqual(r.journal.eventsOf(call.callSid, 'language').map((e) => e.data), [{ language: 'hi-IN', via: 'start', agent: 'front-desk-hindi' }]);
  });

  it('Sarvam rate-limits the voice for good: the Hindi apology in espeak-ng, then the Hindi keypad desk carries on', async (t) => {
    const r = await rig(t, 8000, [{ transcript: 'मेरा order कहाँ है?', language: 'hi-IN' }], () => ({ text: ['आपका ऑर्डर कल पहुँचेगा।'] }), ['front-desk-hindi']);
    const keypad = parse(readFileSync(join(AGENTS_DIR, 'front-desk-hindi-keypad.yaml'), 'utf8'));
    const call = await r.dial();
    await agentSays(r, call, (x) => x === HINDI.greeting);
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 30_000 });
    r.tts.failNext({ kind: 'rate-limit', retryAfterSec: 1 });
    r.tts.failNext({ kind: 'rate-limit', retryAfterSec: 1 });
    await speak(call, r.rate);
    const menu = await agentSays(r, call, (x) => x === `${HINDI.prompts.apology} ${keypad.prompts.fallback.trim()}`);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover')[0]?.data.to, 'offline');
    call.sendDtmf('2');
    await agentSays(r, call, (x) => x === keypad.intents.find((i: { name: string }) => i.name === 'order-status').slot.ask, menu + 1);
    await call.hangup();
  });

  it('a first turn heard in English goes to the English desk, which answers it; 9 does the same on the keypad', async (t) => {
    const r = await rig(t, 8000, [{ transcript: 'what are your opening hours', language: 'en-IN' }], () => ({ text: ['नमस्ते।'] }), ['front-desk-hindi', 'front-desk']);
    const english = r.catalog.get('front-desk') as unknown as { definition: { greeting: string; intents: { name: string; reply: string }[] } };
    const hours = english.definition.intents.find((i) => i.name === 'opening-hours')!.reply;

    const call = await r.dial();
    await agentSays(r, call, (x) => x === HINDI.greeting);
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 30_000 });
    await speak(call, r.rate);
    const answered = await agentSays(r, call, (x) => x === hours);
    await call.hangup();
    const turns = r.journal.turns.get(call.callSid)!.map((x) => [x.role, x.text]);
    assert.deepEqual(turns.slice(0, answered + 1), [['agent', HINDI.greeting], ['caller', 'what are your opening hours'], ['agent', hours]], 'answered, not greeted again');
    assert.deepEqual(r.journal.eventsOf(call.callSid, 'language').map((e) => e.data), [
      { language: 'hi-IN', via: 'start', agent: 'front-desk-hindi' },
      { language: 'en-IN', via: 'detected', from: 'front-desk-hindi', agent: 'front-desk' },
    ]);
    assert.equal(r.chat.requests.length, 0, 'the Hindi model was never asked');

    const keyed = await r.dial();
    await keyed.waitFor('markEchoed', { predicate: (m) => m.name.startsWith('r1.'), timeoutMs: 30_000 });
    keyed.sendDtmf('9');
    await agentSays(r, keyed, (x) => x === english.definition.greeting);
    await keyed.hangup();
    assert.deepEqual(r.journal.eventsOf(keyed.callSid, 'language').at(-1)?.data, { language: 'en-IN', via: 'keypad', from: 'front-desk-hindi', agent: 'front-desk' });
  });
});
