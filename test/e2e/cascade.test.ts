// The cloud cascade end to end over real sockets: the simulator plays Exotel and a caller (flite speech), the
// gateway runs createCascadeAgent against local fakes of Deepgram (live STT), an OpenAI-compatible chat server and
// ElevenLabs (whose "voice" is one tone per word, so what the caller heard can be measured from the playout).
import { before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createCascadeAgent, type CascadeAgentOptions } from '../../src/agent/kinds/cascade.js';
import { createSpeechProviders, type SpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import type { AgentTool } from '../../src/agent/tools/types.js';
import { OpenAICompatibleLanguageModel } from '../../src/providers/llm/openai-compatible.js';
import { DeepgramSpeechToText } from '../../src/providers/stt/deepgram.js';
import { ElevenLabsTextToSpeech } from '../../src/providers/tts/elevenlabs.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { startFakeDeepgram, type FakeDeepgram, type FakeDeepgramOptions } from '../fakes/deepgram.js';
import { FakeElevenLabs } from '../fakes/elevenlabs.js';
import { FakeOpenAIChat, type ReplyScript } from '../fakes/openai-chat.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway } from '../helpers/e2e-call.js';
import { speechBounds } from '../helpers/speech.js';
import { callerLine, offlineDesk } from '../helpers/offline-desk.js';
import { heardToneMs, nextReply } from '../helpers/heard-audio.js';

const RATE = 8000;
const MS_PER_WORD = 150;
const TICK = 20;
const GREETING = 'Hello, order desk here.';
const APOLOGY = 'Sorry, I am having trouble on my side.';
const HANDOVER = 'Let me connect you to a colleague.';

const say = (text: string) => callerLine(text, RATE);
for (const text of ['where is my order', 'stop please', 'check order forty two', 'thanks that is all']) void say(text);

let speech: SpeechProviders;
before(() => {
  speech = createSpeechProviders();
});

interface Rig {
  deepgram: FakeDeepgram;
  chat: FakeOpenAIChat;
  tts: FakeElevenLabs;
  journal: MemoryJournal;
  dial(): Promise<SimulatedCall>;
}

interface RigOptions {
  script: ReplyScript;
  deepgram?: FakeDeepgramOptions;
  agent?: Partial<CascadeAgentOptions>;
  chatDelays?: { firstTokenDelayMs?: number; interTokenDelayMs?: number };
  ttsIntervalMs?: number;
}

async function rig(t: TestContext, o: RigOptions): Promise<Rig> {
  const deepgram = await startFakeDeepgram({ finalDelayMs: 30, ...o.deepgram });
  const chat = new FakeOpenAIChat({ script: o.script, firstTokenDelayMs: 40, interTokenDelayMs: 10, ...o.chatDelays });
  const chatServer = await chat.start();
  const tts = await FakeElevenLabs.start({ ttfbMs: 30, intervalMs: o.ttsIntervalMs ?? 0, msPerWord: MS_PER_WORD, sizes: [800] });
  const journal = new MemoryJournal();
  const agent = createCascadeAgent({
    name: 'cascade-test',
    systemPrompt: 'You are the order desk.',
    greeting: GREETING,
    stt: new DeepgramSpeechToText({ apiKey: 'test-key', baseUrl: deepgram.baseUrl }),
    llm: new OpenAICompatibleLanguageModel({ baseUrl: chatServer.baseUrl, apiKey: chat.apiKey, model: 'gpt-4o-mini' }),
    tts: new ElevenLabsTextToSpeech({ apiKey: tts.apiKey, baseUrl: tts.baseUrl, voices: ['voice-en-1'] }),
    voice: 'voice-en-1',
    language: 'en-IN',
    prompts: { apology: APOLOGY, handover: HANDOVER },
    fallback: offlineDesk(speech),
    onFailure: 'fallback',
    turnTaking: { greetingProtectMs: 500 },
    ...o.agent,
  });
  await agent.prepare([RATE]);
  const gateway = await startE2eGateway({ env: { EXOTEL_SAMPLE_RATE: String(RATE) }, agents: [agent], parts: { journal } });
  t.after(async () => {
    await gateway.close();
    await deepgram.close();
    await chatServer.close();
    await tts.close();
  });
  return {
    deepgram,
    chat,
    tts,
    journal,
    dial: () => gateway.dial(),
  };
}

function words(text: string): number {
  return text.trim().split(/\s+/).filter(Boolean).length;
}

function assertHeard(call: SimulatedCall, span: { startMs: number; endMs: number }, text: string): void {
  const ms = heardToneMs(call, span.startMs, span.endMs);
  const expected = words(text) * MS_PER_WORD;
  assert.ok(Math.abs(ms - expected) <= 3 * TICK, `heard ${ms} ms of tone, expected ${expected} ms for "${text}"`);
}

const lastUser = (r: { messages?: { role: string; content?: string }[] }) => r.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '';

describe('the cascade agent over real sockets', { concurrency: 4 }, () => {
  it('greets, transcribes the caller live, streams the answer sentence by sentence; transcript and latency stages', async (t) => {
    const answer = ['Your order ', 'ships tomorrow. ', 'Anything else?'];
    const r = await rig(t, { script: () => ({ text: answer }), deepgram: { script: [{ interims: ['where is'], final: 'where is my order' }] } });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    assertHeard(call, greeting, GREETING);

    void call.sendAudio(await say('where is my order'));
    const reply = await nextReply(call, greeting.endMs);
    assertHeard(call, reply, answer.join(''));
    const report = await call.hangup();
    assert.equal(report.violations.length, 0, JSON.stringify(report.violations.slice(0, 3)));
    assert.equal(report.clears.length, 0);

    const request = r.chat.requests[0];
    assert.deepEqual(
      request.messages?.map((m: { role: string; content: string }) => [m.role, m.content]),
      [
        ['system', 'You are the order desk.'],
        ['assistant', GREETING],
        ['user', 'where is my order'],
      ],
    );
    assert.deepEqual(
      request.tools?.map((x: { function: { name: string } }) => x.function.name),
      ['end_call', 'transfer'],
    );
    // One TTS request per sentence, each in the call's format.
    const texts = r.tts.requests.map((q) => (q.body as { text: string }).text);
    assert.deepEqual(texts.slice(-2), ['Your order ships tomorrow.', 'Anything else?']);
    assert.ok(r.tts.requests.every((q) => q.query.output_format === 'pcm_8000'));
    // All the caller's audio went to Deepgram, finalized at the end of the turn or before.
    assert.equal(r.deepgram.connections.length, 1);

    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.deepEqual(
      turns.map((x) => [x.role, x.text, x.interrupted ?? false]),
      [
        ['agent', GREETING, false],
        ['caller', 'where is my order', false],
        ['agent', 'Your order ships tomorrow. Anything else?', false],
      ],
    );
    const latency = r.journal.eventsOf(call.callSid, 'turn.latency');
    assert.equal(latency.length, 1);
    for (const stage of ['final-transcript', 'first-llm-token', 'first-tts-byte', 'first-frame', 'first-mark']) {
      assert.equal(typeof latency[0].data[stage], 'number', `${stage} in ${JSON.stringify(latency[0].data)}`);
    }
    const d = latency[0].data as Record<string, number>;
    assert.ok(d['first-llm-token'] <= d['first-tts-byte'] && d['first-tts-byte'] <= d['first-frame'] && d['first-frame'] <= d['first-mark']);
  });

  it('barge-in: clear within 300 ms, the model and synthesis requests aborted, the next request sees only what was heard', async (t) => {
    const long = Array.from({ length: 10 }, (_, i) => `Sentence ${i + 1} of a long answer. `);
    const r = await rig(t, {
      script: (req) => (lastUser(req) === 'where is my order' ? { text: long } : { text: ['Sure, stopping.'] }),
      chatDelays: { interTokenDelayMs: 250 },
      // Synthesis a little faster than real time, so a sentence is still streaming when the caller cuts in.
      ttsIntervalMs: 40,
      deepgram: { script: [{ final: 'where is my order' }, { final: 'stop please' }] },
    });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('where is my order'));
    const started = await call.waitFor('playoutStarted', { predicate: (e) => e.atMs > greeting.endMs, timeoutMs: 15_000 });
    // Cut in once the first sentence has been heard (its mark came back).
    await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r2.0', timeoutMs: 10_000 });
    const stop = await say('stop please');
    const sentAt = call.elapsedMs();
    void call.sendAudio(stop);
    const onsetMs = sentAt + speechBounds(stop, RATE).startMs;
    const clear = await call.waitFor('clear', { predicate: (c) => c.atMs >= sentAt, timeoutMs: 10_000 });
    assert.ok(clear.atMs - onsetMs <= 300, `clear ${Math.round(clear.atMs - onsetMs)} ms after the caller began speaking`);
    const answer = await nextReply(call, clear.atMs);
    assertHeard(call, answer, 'Sure, stopping.');
    await call.hangup();

    assert.equal(await r.chat.requests[0].outcome, 'client-closed', 'the model was still streaming and was stopped');
    const cut = r.tts.requests.filter((q) => q.clientClosed);
    assert.ok(cut.length >= 1, 'a synthesis in flight was stopped');
    const turns = r.journal.turns.get(call.callSid) ?? [];
    const agent = turns.find((x) => x.role === 'agent' && x.interrupted);
    assert.ok(agent, 'the answer was cut');
    const full = long.join('').trim();
    assert.ok(agent.heardText && full.startsWith(agent.heardText) && agent.heardText.length < full.length, `heard "${agent.heardText}"`);
    const heardMs = heardToneMs(call, started.atMs, clear.atMs + 100);
    // Only whole sentences count as heard (marks prove them); the one cut mid-way does not.
    assert.ok(words(agent.heardText) * MS_PER_WORD <= heardMs, `heard ${heardMs} ms of tone for "${agent.heardText}"`);
    const second = r.chat.requests[1].messages!.map((m: { role: string; content: string }) => [m.role, m.content]);
    assert.deepEqual(second.slice(-2), [
      ['assistant', agent.heardText],
      ['user', 'stop please'],
    ]);
    assert.deepEqual(turns.map((x) => x.role), ['agent', 'caller', 'agent', 'caller', 'agent']);
  });

  it('a slow tool: its filler is said while it runs, the result goes back to the model and the answer uses it', async (t) => {
    const runs: unknown[] = [];
    const orderStatus: AgentTool = {
      spec: { name: 'order_status', description: 'Look up an order', parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } },
      filler: 'One moment, let me check.',
      fillerAfterMs: 300,
      async run(args, ctx) {
        runs.push(args);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(ctx.signal.aborted, false);
        return { status: 'shipped' };
      },
    };
    const r = await rig(t, {
      script: (req) => {
        const tool = req.messages?.find((m: { role: string }) => m.role === 'tool');
        if (tool) return { text: [`Order 42 is ${(JSON.parse(tool.content) as { status: string }).status}.`] };
        return { toolCalls: [{ name: 'order_status', arguments: '{"order_id":"42"}' }] };
      },
      agent: { tools: [orderStatus] },
      deepgram: { script: [{ final: 'check order forty two' }] },
    });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('check order forty two'));
    const filler = await nextReply(call, greeting.endMs);
    const answer = await nextReply(call, filler.endMs);
    await call.hangup();
    assertHeard(call, answer, 'Order 42 is shipped.');
    assert.deepEqual(runs, [{ order_id: '42' }]);
    assert.equal(r.chat.requests.length, 2);
    const toolMessage = r.chat.requests[1].messages!.find((m: { role: string }) => m.role === 'tool');
    assert.equal(toolMessage.content, '{"status":"shipped"}');
    const tool = r.journal.eventsOf(call.callSid, 'tool')[0];
    assert.equal(tool?.data.name, 'order_status');
    assert.equal(tool?.data.ok, true);
    assert.ok((tool?.data.ms as number) >= 1400);
    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.equal(turns.at(-1)?.text, 'One moment, let me check. Order 42 is shipped.');
  });

  it('end_call: the goodbye is heard, then the bot hangs up', async (t) => {
    const r = await rig(t, {
      script: () => ({ text: ['Thanks for calling, goodbye!'], toolCalls: [{ name: 'end_call', arguments: '{}' }] }),
      deepgram: { script: [{ final: 'thanks that is all' }] },
    });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('thanks that is all'));
    const goodbye = await nextReply(call, greeting.endMs);
    const report = await call.ended();
    assert.equal(report.endedBy, 'bot');
    assertHeard(call, goodbye, 'Thanks for calling, goodbye!');
    assert.ok(report.marks.records.some((m) => m.name.startsWith('r2') && m.status === 'echoed'), 'the goodbye was heard before the hang-up');
    const end = r.journal.eventsOf(call.callSid, 'end')[0];
    assert.equal(end?.data.reason, 'bot-hangup');
    assert.equal(r.journal.eventsOf(call.callSid, 'tool')[0]?.data.name, 'end_call');
  });

  it('the model refuses (401): a cached apology in the offline voice, the offline brain answers, and takes the next turn', async (t) => {
    const r = await rig(t, { script: () => ({ text: ['Not used.'] }), deepgram: { script: [{ final: 'where is my order' }] } });
    r.chat.failNext({ kind: 'unauthorized' });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('where is my order'));
    const apology = await nextReply(call, greeting.endMs);
    // The next turn is recognised offline (PocketSphinx, the fallback grammar) and answered by the intent brain.
    void call.sendAudio(await say('where is my order'));
    await nextReply(call, apology.endMs);
    await call.hangup();

    assert.equal(r.chat.requests.length, 1, 'a refused key is not retried, and the model is not asked again');
    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [['llm', 'unauthorized', false]]);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover')[0]?.data.to, 'offline');
    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.deepEqual(
      turns.map((x) => [x.role, x.text]),
      [
        ['agent', GREETING],
        ['caller', 'where is my order'],
        ['agent', `${APOLOGY} We are open from nine to five.`],
        ['caller', 'where is my order'],
        ['agent', 'We are open from nine to five.'],
      ],
    );
    assert.equal(r.deepgram.connections.length, 1);
  });

  it('a model slow to its first token times out, is retried once, then the caller is handed over (policy transfer)', async (t) => {
    const r = await rig(t, {
      script: () => ({ text: ['Too late.'] }),
      chatDelays: { firstTokenDelayMs: 3000 },
      agent: { onFailure: 'transfer', timeouts: { llmFirstTokenMs: 300 } },
      deepgram: { script: [{ final: 'where is my order' }] },
    });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('where is my order'));
    await nextReply(call, greeting.endMs);
    const report = await call.ended();
    assert.equal(report.endedBy, 'bot');
    assert.equal(r.chat.requests.length, 2);
    for (const req of r.chat.requests) assert.equal(await req.outcome, 'client-closed');
    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [
      ['llm', 'timeout', true],
      ['llm', 'timeout', false],
    ]);
    const end = r.journal.eventsOf(call.callSid, 'end')[0];
    assert.equal(end?.data.reason, 'transfer');
    assert.equal(r.journal.eventsOf(call.callSid, 'transfer')[0]?.data.detail, 'provider-failure:llm:timeout');
    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.equal(turns.at(-1)?.text, `${APOLOGY} ${HANDOVER}`);
  });

  it('TTS drops mid-sentence: the next sentence follows, nothing is said twice', async (t) => {
    const answer = ['Your order ships tomorrow morning. ', 'Anything else?'];
    const r = await rig(t, { script: () => ({ text: answer }), deepgram: { script: [{ final: 'where is my order' }] } });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    r.tts.failNext({ kind: 'drop', afterBytes: 3200 }); // 200 ms of the first sentence
    void call.sendAudio(await say('where is my order'));
    const reply = await nextReply(call, greeting.endMs);
    await call.hangup();
    const heard = heardToneMs(call, reply.startMs, reply.endMs);
    const expected = 200 + words('Anything else?') * MS_PER_WORD;
    assert.ok(Math.abs(heard - expected) <= 3 * TICK, `heard ${heard} ms, expected ${expected}`);
    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [['tts', 'connection-lost', true]]);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover').length, 0);
    assert.equal(r.tts.requests.filter((q) => (q.body as { text: string }).text === 'Your order ships tomorrow morning.').length, 1, 'not synthesized again');
  });

  it('TTS fails twice in a reply: a 500 is retried, the retry fails too, then the apology and the offline brain', async (t) => {
    const r = await rig(t, { script: () => ({ text: ['Your order ships tomorrow.'] }), deepgram: { script: [{ final: 'where is my order' }] } });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    r.tts.failNext({ kind: 'server', status: 500 });
    r.tts.failNext({ kind: 'server', status: 503 });
    void call.sendAudio(await say('where is my order'));
    await nextReply(call, greeting.endMs);
    await call.hangup();
    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [
      ['tts', 'server', true],
      ['tts', 'server', false],
    ]);
    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.equal(turns.at(-1)?.text, `${APOLOGY} We are open from nine to five.`);
  });

  it('the STT stream drops: it is reopened and the next turn is transcribed; refused again, the offline recogniser takes over', async (t) => {
    const r = await rig(t, {
      script: () => ({ text: ['Your order ships tomorrow.'] }),
      deepgram: { script: [{ final: 'where is my order' }] },
    });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    (await r.deepgram.nextConnection()).drop();
    const reopened = await r.deepgram.nextConnection();
    void call.sendAudio(await say('where is my order'));
    const answer = await nextReply(call, greeting.endMs);
    assertHeard(call, answer, 'Your order ships tomorrow.');

    // Dropped again, and the reopen is refused: no cloud STT any more.
    r.deepgram.refuseNext(401, { times: 5 });
    reopened.drop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    void call.sendAudio(await say('where is my order'));
    await nextReply(call, answer.endMs);
    await call.hangup();

    const failures = r.journal.eventsOf(call.callSid, 'provider-failure').map((e) => [e.data.stage, e.data.code, e.data.retrying]);
    assert.deepEqual(failures, [
      ['stt', 'connection-lost', true],
      ['stt', 'connection-lost', true],
      ['stt', 'unauthorized', false],
    ]);
    assert.equal(r.journal.eventsOf(call.callSid, 'failover')[0]?.data.to, 'offline');
    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.deepEqual(
      turns.map((x) => [x.role, x.text]),
      [
        ['agent', GREETING],
        ['caller', 'where is my order'],
        ['agent', 'Your order ships tomorrow.'],
        ['caller', 'where is my order'],
        ['agent', 'We are open from nine to five.'],
      ],
    );
  });
});
