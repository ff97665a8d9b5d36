// The wiring end to end: the SHIPPED agents/cascade.yaml and agents/openai-realtime.yaml, loaded by
// createBuiltinAgents with the provider variables pointing at the local fakes (Deepgram, OpenAI chat, ElevenLabs,
// OpenAI Realtime) and ORDER_STATUS_URL at a local order service, each take a short call through the simulator:
// greeting, a question, the order_status tool, the answer, end_call. And a Realtime session refused for good hands
// the call to the offline front desk. The engines' deep behaviour is tested with the engines; this proves that what
// a definition says reaches the providers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENTS_DIR, createBuiltinAgents, prepareAgents } from '../../src/agent/assembly/build-catalog.js';
import type { AgentCatalog } from '../../src/agent/assembly/catalog.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { SimulatedCall } from '../../src/sim/index.js';
import { startFakeDeepgram, type FakeDeepgram } from '../fakes/deepgram.js';
import { FakeElevenLabs } from '../fakes/elevenlabs.js';
import { FakeOpenAIChat, type RecordedChatRequest } from '../fakes/openai-chat.js';
import { startFakeRealtime, type FakeRealtimeServer } from '../fakes/openai-realtime.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { concat, silence, synthesize } from '../helpers/speech.js';

const RATE = 8000;
const OPENAI_KEY = 'sk-test-realtime-0123456789';
const ORDER_TOKEN = 'Bearer order-service-token-42';
/** The voice agents/cascade.yaml names. */
const CASCADE_VOICE = 'JBFqnCBsd6RMkjVDRZzb';

const orders: Array<{ path: string; headers: IncomingHttpHeaders }> = [];
const orderService = createServer((req, res) => {
  orders.push({ path: req.url!, headers: req.headers });
  const id = new URL(req.url!, 'http://x').searchParams.get('order_id');
  res.writeHead(req.headers.authorization === ORDER_TOKEN ? 200 : 401, { 'content-type': 'application/json' });
  res.end(JSON.stringify(req.headers.authorization === ORDER_TOKEN ? { order_id: id, status: 'shipped', eta: 'tomorrow' } : { error: 'unauthorized' }));
});

let deepgram: FakeDeepgram;
let chat: FakeOpenAIChat;
let chatServer: { baseUrl: string; close(): Promise<void> };
let tts: FakeElevenLabs;
let realtime: FakeRealtimeServer;
let catalog: AgentCatalog;
let gw: TestGateway;
const journal = new MemoryJournal();
const warnings: string[] = [];

const hasToolResult = (r: RecordedChatRequest) => (r.messages ?? []).some((m: { role: string }) => m.role === 'tool');

const speech = (text: string) => synthesize(text, RATE, 'rms').then((s) => concat(s, silence(400, RATE)));
const clips = { order: speech('where is my order one two three four five') };

before(async () => {
  await new Promise<void>((resolve) => orderService.listen(0, '127.0.0.1', resolve));
  deepgram = await startFakeDeepgram({ finalDelayMs: 30, script: [{ final: 'where is my order 12345' }] });
  chat = new FakeOpenAIChat({
    firstTokenDelayMs: 30,
    script: (r) =>
      hasToolResult(r)
        ? { text: ['Order 12345 has shipped. ', 'Goodbye!'], toolCalls: [{ name: 'end_call', arguments: '{"reason":"answered"}' }] }
        : { toolCalls: [{ name: 'order_status', arguments: '{"order_id":"12345"}' }] },
  });
  chatServer = await chat.start();
  tts = await FakeElevenLabs.start({ ttfbMs: 20, msPerWord: 120, voices: [CASCADE_VOICE] });
  realtime = await startFakeRealtime({
    apiKey: OPENAI_KEY,
    msPerChar: 30,
    script: (ctx) => {
      if (ctx.instructions !== undefined) return { text: 'Hello, Sharma Electronics here.' };
      if (ctx.toolOutputs.length > 0) return { text: 'Order 12345 has shipped.', functionCall: { name: 'end_call', arguments: { reason: 'answered' } } };
      return { functionCall: { name: 'order_status', arguments: { order_id: '12345' } } };
    },
    transcribe: () => 'where is my order one two three four five',
  });
  const env = {
    DEEPGRAM_API_KEY: 'test-key',
    DEEPGRAM_BASE_URL: deepgram.baseUrl,
    LLM_BASE_URL: chatServer.baseUrl,
    LLM_API_KEY: chat.apiKey,
    ELEVENLABS_API_KEY: tts.apiKey,
    ELEVENLABS_BASE_URL: tts.baseUrl,
    OPENAI_API_KEY: OPENAI_KEY,
    OPENAI_BASE_URL: realtime.url,
    ORDER_STATUS_URL: `http://127.0.0.1:${(orderService.address() as AddressInfo).port}/orders/status`,
    ORDER_STATUS_TOKEN: ORDER_TOKEN,
  };
  catalog = createBuiltinAgents(undefined, { agentsDir: AGENTS_DIR, env, warn: (m) => warnings.push(m) });
  await Promise.all([prepareAgents(catalog, [RATE]), clips.order]);
  const agents = ['cascade', 'openai-realtime', 'front-desk'].map((n) => catalog.get(n) as Agent);
  gw = await startGateway({ EXOTEL_SAMPLE_RATE: String(RATE) }, agents, { journal });
});

after(async () => {
  await gw?.close();
  await Promise.all([deepgram?.close(), chatServer?.close(), tts?.close(), realtime?.close()]);
  orderService.closeAllConnections();
  orderService.close();
});

async function dial(agent: string): Promise<SimulatedCall> {
  const call = new SimulatedCall({ url: `${gw.base}/voicebot/connect`, callerFrameMs: 20, webhookParams: { agent } });
  await call.start();
  return call;
}

/** Waits for the greeting to finish, asks for the order, and waits for the agent to end the call. */
async function orderCall(agent: string): Promise<{ call: SimulatedCall; closeReason: string | undefined }> {
  const call = await dial(agent);
  await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 15_000 });
  void call.sendAudio(await clips.order);
  const report = await Promise.race([call.ended(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${agent}: the call did not end`)), 30_000).unref())]);
  return { call, closeReason: report.closeReason };
}

describe('cloud agents from their definition files', { concurrency: 2 }, () => {
  it('the shipped definitions load with every variable but Sarvam\'s set: both agents prepared, the Sarvam desks offline', () => {
    assert.deepEqual(warnings, [
      'agent "front-desk-hindi" (agents/front-desk-hindi.yaml) runs offline as "front-desk-hindi-keypad": SARVAM_API_KEY is not set',
      'agent "front-desk-tamil" (agents/front-desk-tamil.yaml) runs offline as "front-desk": SARVAM_API_KEY is not set',
    ]);
    assert.ok(catalog.get('cascade') && catalog.get('openai-realtime'));
    assert.equal(tts.requests.length >= 1, true, 'the cascade greeting was synthesized at prepare time');
  });

  it('cascade.yaml: Deepgram hears the caller, the LLM calls order_status over HTTP, ElevenLabs speaks, end_call hangs up', async () => {
    const { call, closeReason } = await orderCall('cascade');
    assert.equal(closeReason, 'bot-hangup');
    // Deepgram: the stt section of the file.
    const query = deepgram.attempts.at(-1)!.query;
    assert.equal(query.get('model'), 'nova-3');
    assert.equal(query.get('endpointing'), '300');
    assert.equal(query.get('language'), 'en-IN');
    assert.deepEqual(query.getAll('keyterm'), ['Sharma Electronics', 'Indiranagar']);
    // The LLM: the system prompt, tools and brain settings of the file, LLM_MODEL's default model.
    const [first, second] = chat.requests;
    assert.equal(first.model, 'gpt-4o-mini');
    assert.equal(first.headers.authorization, `Bearer ${chat.apiKey}`);
    assert.equal(first.body.temperature, 0.5);
    assert.match(first.messages![0].content, /^You are the front desk of Sharma Electronics/);
    assert.deepEqual(
      first.tools!.map((t: { function: { name: string } }) => t.function.name),
      ['order_status', 'end_call', 'transfer'],
    );
    // The tool: ORDER_STATUS_URL with the arguments as a query, ORDER_STATUS_TOKEN as Authorization; its answer went back.
    const order = orders.find((o) => o.path.startsWith('/orders/status'))!;
    assert.equal(order.path, '/orders/status?order_id=12345');
    assert.equal(order.headers.authorization, ORDER_TOKEN);
    const toolMessage = second.messages!.find((m: { role: string }) => m.role === 'tool');
    assert.deepEqual(JSON.parse(toolMessage.content), { order_id: '12345', status: 'shipped', eta: 'tomorrow' });
    // ElevenLabs: the voice and model of the file, PCM at the call rate.
    const said = tts.requests.filter((q) => q.path.includes(CASCADE_VOICE)).map((q) => (q.body as { text: string; model_id: string }).text);
    assert.ok(said.includes('Order one two three four five has shipped.'), JSON.stringify(said)); // the voice is given words
    assert.ok(tts.requests.every((q) => (q.body as { model_id: string }).model_id === 'eleven_flash_v2_5' && q.query.output_format === 'pcm_8000'));
    const turns = journal.turns.get(call.callSid) ?? [];
    assert.deepEqual(turns.at(-1)?.text, 'Order 12345 has shipped. Goodbye!');
  });

  it('openai-realtime.yaml: the session carries the file\'s prompt, voice and tools; order_status runs over HTTP; end_call hangs up', async () => {
    const before = realtime.connections.length;
    const { closeReason } = await orderCall('openai-realtime');
    assert.equal(closeReason, 'bot-hangup');
    const upgrade = realtime.upgrades.at(-1)!;
    assert.deepEqual([upgrade.authorization, upgrade.model, upgrade.beta], [`Bearer ${OPENAI_KEY}`, 'gpt-realtime', false]);
    const conn = realtime.connections[before];
    const session = conn.eventsOf('session.update')[0].session as { instructions: string; tools: Array<{ name: string }>; audio?: { output?: { voice?: string } } };
    assert.match(session.instructions, /^You are the front desk of Sharma Electronics/);
    assert.deepEqual(
      session.tools.map((t) => t.name),
      ['order_status', 'end_call', 'transfer'],
    );
    assert.equal(session.audio?.output?.voice, 'marin');
    assert.match((conn.eventsOf('response.create')[0].response as { instructions: string }).instructions, /Hello, Sharma Electronics here\. How can I help you today\?/);
    const output = conn.eventsOf('conversation.item.create').map((e) => e.item as { type: string; output: string }).find((i) => i.type === 'function_call_output');
    assert.deepEqual(JSON.parse(output!.output), { order_id: '12345', status: 'shipped', eta: 'tomorrow' });
    assert.ok(orders.some((o) => o.path === '/orders/status?order_id=12345' && o.headers.authorization === ORDER_TOKEN));
  });

  it('openai-realtime.yaml: a session refused for good (401) hands the call to the offline front desk', async () => {
    realtime.failNextUpgrades(401, 2);
    const call = await dial('openai-realtime');
    const events = () => journal.eventsOf(call.callSid, 'agent.failover');
    for (let i = 0; i < 500 && events().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(events()[0]?.data, { agent: 'openai-realtime', kind: 'unauthorized', phase: 'connect', to: 'front-desk' });
    // The front desk greets after the apology: its greeting turn is on the call record.
    const greeted = () => (journal.turns.get(call.callSid) ?? []).some((t) => t.role === 'agent' && t.text === 'Hello, Sharma Electronics here. How can I help you today?');
    for (let i = 0; i < 500 && !greeted(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(greeted(), JSON.stringify(journal.turns.get(call.callSid)));
    await call.waitFor('playoutStarted', { timeoutMs: 10_000 });
    const report = await call.hangup();
    assert.equal(report.closeReason === 'transfer' || report.closeReason === 'bot-hangup', false, 'the call stayed up until the caller hung up');
    assert.ok(!JSON.stringify(journal.events.get(call.callSid)).includes(OPENAI_KEY));
  });
});
