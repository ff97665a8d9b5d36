// The Realtime bridge end to end: the simulator plays Exotel and a caller (synthesised speech), the gateway runs
// createRealtimeAgent against the local OpenAI Realtime fake. What the caller heard is read back from the simulator's
// playout (the fake speaks a 440 Hz tone whose length follows the text), what the model was told from the fake.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRealtimeAgent, type RealtimeAgentOptions, type RealtimeFailure } from '../../src/agent/kinds/realtime.js';
import { SimulatedCall } from '../../src/sim/index.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startGateway } from '../helpers/gateway.js';
import { concat, silence, synthesize } from '../helpers/speech.js';
import { startFakeRealtime, type FakeRealtimeOptions, type FakeRealtimeServer } from '../fakes/openai-realtime.js';
import { heardToneMs, nextReply } from '../helpers/heard-audio.js';

const MS_PER_CHAR = 40;
const TICK = 20;

// Synthesised up front (flite runs on this thread; mid-call it would stall the simulated caller's clock).
const clips = new Map<string, Promise<Int16Array>>();
function say(text: string, rate: number): Promise<Int16Array> {
  const key = `${rate}|${text}`;
  if (!clips.has(key)) clips.set(key, synthesize(text, rate, 'rms').then((s) => concat(s, silence(200, rate))));
  return clips.get(key) as Promise<Int16Array>;
}
for (const text of ['where is my order', 'stop please', 'thanks that is all', 'can you check order forty two', 'hello']) void say(text, 8000);

interface Rig {
  fake: FakeRealtimeServer;
  journal: MemoryJournal;
  failures: RealtimeFailure[];
  dial(): Promise<SimulatedCall>;
}

async function rig(t: TestContext, fakeOptions: Omit<FakeRealtimeOptions, 'apiKey'>, agent: Partial<RealtimeAgentOptions> = {}, rate = 8000): Promise<Rig> {
  const fake = await startFakeRealtime({ apiKey: 'sk-test', msPerChar: MS_PER_CHAR, firstDeltaDelayMs: 80, deltaIntervalMs: 20, ...fakeOptions });
  const journal = new MemoryJournal();
  const failures: RealtimeFailure[] = [];
  const gw = await startGateway(
    { EXOTEL_SAMPLE_RATE: String(rate) },
    [
      createRealtimeAgent({
        apiKey: 'sk-test',
        baseUrl: fake.url,
        instructions: 'You are the order desk.',
        serverVad: { silenceDurationMs: 400 },
        onFailure: (f) => failures.push(f),
        ...agent,
      }),
    ],
    { journal },
  );
  const calls: SimulatedCall[] = [];
  t.after(async () => {
    for (const c of calls) if (!c.isClosed) await c.hangup();
    await gw.close();
    await fake.close();
  });
  return {
    fake,
    journal,
    failures,
    async dial() {
      const call = new SimulatedCall({ url: `${gw.base}/voicebot/connect`, callerFrameMs: 20 });
      calls.push(call);
      await call.start();
      return call;
    },
  };
}

function events(journal: MemoryJournal, call: SimulatedCall, type: string) {
  return journal.eventsOf(call.callSid, type);
}

describe('Realtime agent over real sockets', { concurrency: 4 }, () => {
  it('greets, hears the caller, answers; mu-law at 8 kHz; transcript and latency records', async (t) => {
    const r = await rig(t, {
      script: (ctx) => (ctx.trigger === 'response.create' ? { text: 'Hello, order desk.' } : { text: `You asked: ${ctx.lastUserText}.` }),
      transcribe: () => 'where is my order',
    }, { greeting: 'Greet the caller.' });
    const call = await r.dial();
    const greeting = await nextReply(call, 0);
    assert.equal(r.fake.last?.format, 'g711_ulaw');
    assert.equal(r.fake.last?.eventsOf('response.create')[0]?.response && (r.fake.last.eventsOf('response.create')[0].response as { instructions: string }).instructions, 'Greet the caller.');
    const greetingMs = heardToneMs(call, greeting.startMs, greeting.endMs);
    assert.ok(Math.abs(greetingMs - 'Hello, order desk.'.length * MS_PER_CHAR) <= TICK, `greeting heard for ${greetingMs} ms`);

    void call.sendAudio(await say('where is my order', 8000));
    const answer = await nextReply(call, greeting.endMs);
    const text = 'You asked: where is my order.';
    const answerMs = heardToneMs(call, answer.startMs, answer.endMs);
    assert.ok(Math.abs(answerMs - text.length * MS_PER_CHAR) <= TICK, `answer heard for ${answerMs} ms, expected ${text.length * MS_PER_CHAR}`);
    const report = await call.hangup();
    assert.equal(report.clears.length, 0);
    assert.equal(report.pacing.underruns.count, 0, 'no gaps inside replies');
    assert.equal(report.violations.length, 0, JSON.stringify(report.violations.slice(0, 3)));

    const turns = r.journal.turns.get(call.callSid) ?? [];
    assert.deepEqual(turns.map((x) => [x.role, x.text, x.interrupted ?? false]), [
      ['agent', 'Hello, order desk.', false],
      ['caller', 'where is my order', false],
      ['agent', text, false],
    ]);
    for (const type of ['realtime.speech-end', 'realtime.first-delta', 'realtime.first-play', 'realtime.first-mark']) {
      assert.ok(events(r.journal, call, type).some((e) => e.data.trigger === 'speech-end' || type === 'realtime.speech-end'), `${type} recorded`);
    }
    // Everything the caller said went up: ~the call's length of mu-law audio.
    assert.ok(r.fake.last!.appendedAudioMs > report.durationMs - 600, `${r.fake.last!.appendedAudioMs} ms appended of a ${report.durationMs} ms call`);
  });

  it('16 and 24 kHz calls use 24 kHz PCM (resampled at 16 kHz) and are heard at the right length', async (t) => {
    for (const rate of [16000, 24000]) {
      const r = await rig(t, { script: () => ({ text: 'Good morning to you.' }) }, { greeting: 'Greet.' }, rate);
      const call = await r.dial();
      const reply = await nextReply(call, 0);
      assert.equal(r.fake.last?.format, 'pcm16');
      const ms = heardToneMs(call, reply.startMs, reply.endMs);
      assert.ok(Math.abs(ms - 'Good morning to you.'.length * MS_PER_CHAR) <= TICK, `${rate} Hz: heard ${ms} ms`);
      await call.hangup();
    }
  });

  it('barge-in: clear, response.cancel and a truncate at what the caller actually heard; the turn is interrupted', async (t) => {
    const long = 'This is a long answer about your order which keeps going on and on so that you will surely interrupt it.';
    const r = await rig(
      t,
      {
        // The answer comes slightly faster than real time, so it is still streaming when the caller cuts in.
        script: (ctx) =>
          ctx.trigger === 'response.create' ? { text: 'Hello, order desk.' } : ctx.lastUserText === 'where is my order' ? { text: long, deltaIntervalMs: 85 } : { text: 'Sure.' },
        transcribe: (ctx) => (ctx.userItemIndex === 0 ? 'where is my order' : 'stop please'),
      },
      { greeting: 'Greet.' },
    );
    const call = await r.dial();
    // A greeting first, so the answer's audio starts well after the call's: audio_end_ms must be relative to it.
    const greeting = await nextReply(call, 0);
    void call.sendAudio(await say('where is my order', 8000));
    const started = await call.waitFor('playoutStarted', { predicate: (e) => e.atMs > greeting.endMs, timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    void call.sendAudio(await say('stop please', 8000));
    const clear = await call.waitFor('clear', { timeoutMs: 10_000 });
    await nextReply(call, clear.atMs);
    const report = await call.hangup();

    const conn = r.fake.last!;
    assert.equal(conn.cancels.length, 1);
    assert.equal(conn.cancels[0].active, true, 'the response was still in progress');
    assert.equal(conn.truncates.length, 1);
    const truncate = conn.truncates[0];
    assert.ok(truncate.accepted, 'audio_end_ms within the audio sent');
    assert.ok(truncate.audioEndMs < truncate.sentAudioMs);
    const heard = heardToneMs(call, started.atMs, clear.atMs + 100);
    assert.ok(Math.abs(truncate.audioEndMs - heard) <= 2 * TICK, `truncated at ${truncate.audioEndMs} ms, the caller heard ${heard} ms`);
    assert.ok(report.clears[0].droppedMs > 0);

    const turns = r.journal.turns.get(call.callSid) ?? [];
    const agent = turns.find((x) => x.role === 'agent' && x.interrupted)!;
    assert.ok(long.startsWith(agent.text), 'the turn keeps what the model had said when it was cut');
    assert.equal(agent.interrupted, true);
    assert.ok(agent.heardText && long.startsWith(agent.heardText) && agent.heardText.length < long.length, `heard "${agent.heardText}"`);
    const fraction = agent.heardText!.length / long.length;
    assert.ok(Math.abs(fraction - truncate.audioEndMs / (long.length * MS_PER_CHAR)) < 0.1, 'heard text proportional to heard audio');
    assert.deepEqual(turns.map((x) => x.role), ['agent', 'caller', 'agent', 'caller', 'agent']);
    const bargeIn = events(r.journal, call, 'barge-in')[0];
    assert.equal(bargeIn?.data.source, 'server');
  });

  it('tool call round trip: the model calls order_status, the output goes back, the answer uses it', async (t) => {
    const calls: unknown[] = [];
    const r = await rig(
      t,
      {
        script: (ctx) =>
          ctx.toolOutputs.length > 0
            ? { text: `Order 42 is ${(JSON.parse(ctx.toolOutputs[0].output) as { status: string }).status}.` }
            : { functionCall: { name: 'order_status', arguments: { order_id: '42' } } },
        transcribe: () => 'can you check order forty two',
      },
      {
        tools: [
          {
            spec: { name: 'order_status', description: 'Status of an order', parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] } },
            run: async (args) => {
              calls.push(args);
              return { status: 'shipped' };
            },
          },
        ],
      },
    );
    const call = await r.dial();
    void call.sendAudio(await say('can you check order forty two', 8000));
    const reply = await nextReply(call, 0);
    await call.hangup();
    assert.deepEqual(calls, [{ order_id: '42' }]);
    const conn = r.fake.last!;
    const tools = (conn.eventsOf('session.update')[0].session as { tools: Array<{ name: string }> }).tools.map((x) => x.name);
    assert.deepEqual(tools, ['order_status', 'end_call', 'transfer']);
    const output = conn.eventsOf('conversation.item.create').map((e) => e.item as { type: string; output: string }).find((i) => i.type === 'function_call_output');
    assert.deepEqual(JSON.parse(output!.output), { status: 'shipped' });
    assert.ok(Math.abs(heardToneMs(call, reply.startMs, reply.endMs) - 'Order 42 is shipped.'.length * MS_PER_CHAR) <= TICK);
    assert.equal(r.journal.turns.get(call.callSid)?.at(-1)?.text, 'Order 42 is shipped.');
  });

  it('end_call hangs up after the goodbye played; transfer asks for a hand-over line first', async (t) => {
    const goodbye = 'Thank you for calling, goodbye.';
    const r = await rig(t, {
      script: () => ({ text: goodbye, functionCall: { name: 'end_call', arguments: { reason: 'caller is done' } } }),
      transcribe: () => 'thanks that is all',
    });
    const call = await r.dial();
    void call.sendAudio(await say('thanks that is all', 8000));
    const report = await call.ended();
    assert.equal(report.endedBy, 'bot');
    assert.equal(report.closeReason, 'bot-hangup');
    const heard = heardToneMs(call, 0, report.durationMs);
    assert.ok(Math.abs(heard - goodbye.length * MS_PER_CHAR) <= TICK, `goodbye heard for ${heard} ms before the hang-up`);
    assert.ok(report.marks.records.every((m) => m.status === 'echoed'));

    const r2 = await rig(t, {
      script: (ctx) => (ctx.instructions ? { text: 'Transferring you now.' } : { functionCall: { name: 'transfer', arguments: { reason: 'wants a human' } } }),
      transcribe: () => 'hello',
    });
    const call2 = await r2.dial();
    void call2.sendAudio(await say('hello', 8000));
    const report2 = await call2.ended();
    assert.equal(report2.closeReason, 'transfer');
    assert.match((r2.fake.last!.eventsOf('response.create')[0].response as { instructions: string }).instructions, /transferring/);
    assert.ok(Math.abs(heardToneMs(call2, 0, report2.durationMs) - 'Transferring you now.'.length * MS_PER_CHAR) <= TICK);
  });

  it('rotates the session before the limit at a quiet moment: no expiry, no gap, context replayed', async (t) => {
    const r = await rig(
      t,
      {
        maxSessionMs: 3000,
        script: (ctx) => (ctx.trigger === 'response.create' ? { text: 'Welcome to the order desk, how can I help you today?' } : { text: `About ${ctx.lastUserText}: all good.` }),
        transcribe: () => 'where is my order',
      },
      // Prepare 2 s before the fake's 3 s limit: the greeting (2 s of audio) is still playing then.
      { greeting: 'Greet.', maxSessionMs: 3000, rotateLeadMs: 2000 },
    );
    const call = await r.dial();
    const simZero = performance.now() - call.elapsedMs(); // the simulator's times on the journal's clock
    const greeting = await nextReply(call, 0);
    const rotated = await waitForRecord(r.journal, call, 'realtime.rotated');
    const standby = await waitForRecord(r.journal, call, 'realtime.standby-ready');
    assert.ok(standby.at - simZero < greeting.endMs, 'the new session was ready while the greeting played');
    assert.ok(rotated.at - simZero >= greeting.endMs - TICK, 'and taken over only once it had played');
    void call.sendAudio(await say('where is my order', 8000));
    const answer = await nextReply(call, greeting.endMs);
    const report = await call.hangup();

    assert.ok(r.fake.connections.length >= 2);
    const [first, second] = r.fake.connections;
    assert.equal(first.closedBy, 'client', 'the old session was closed by us before its limit');
    assert.ok(first.errorsSent.every((e) => e.code !== 'session_expired'));
    assert.equal(rotated.data.forced, false);
    // The greeting was not cut: the switch waited for it to finish.
    assert.equal(report.clears.length, 0);
    assert.ok(Math.abs(heardToneMs(call, greeting.startMs, greeting.endMs) - 52 * MS_PER_CHAR) <= TICK);
    // The new session knows the conversation and answered the question.
    const replayed = second.eventsOf('conversation.item.create').map((e) => (e.item as { role: string; content: Array<{ text: string }> }));
    assert.deepEqual(replayed.map((i) => [i.role, i.content[0].text]), [['assistant', 'Welcome to the order desk, how can I help you today?']]);
    assert.ok(second.eventsOf('response.create').length === 0, 'the answer came from the new session’s own VAD');
    assert.ok(heardToneMs(call, answer.startMs, answer.endMs) > 0);
    assert.equal(report.pacing.underruns.count, 0);
  });

  it('a refused key (401) reaches onFailure, which plays an apology; without a handler the call is handed on', async (t) => {
    const apology = new Int16Array(8000).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
    const r = await rig(t, { script: () => ({}) }, {
      apiKey: 'sk-wrong',
      onFailure: (f, c) => {
        r.failures.push(f);
        c.play(apology);
        void c.mark('apology').then(() => c.hangup('bot-hangup', 'realtime unavailable'));
      },
    });
    const call = await r.dial();
    const report = await call.ended();
    assert.deepEqual(r.failures.map((f) => [f.kind, f.phase, f.recovering]), [['unauthorized', 'connect', false]]);
    assert.equal(report.closeReason, 'bot-hangup');
    assert.ok(heardToneMs(call, 0, report.durationMs) >= 1000, 'the caller heard the apology');
    assert.equal(events(r.journal, call, 'realtime.failure')[0]?.data.kind, 'unauthorized');
    assert.ok(!JSON.stringify(r.journal.events.get(call.callSid)).includes('sk-wrong'));

    const r2 = await rig(t, { script: () => ({}) }, { apiKey: 'sk-wrong', onFailure: undefined });
    const call2 = await r2.dial();
    assert.equal((await call2.ended()).closeReason, 'transfer');
  });

  it('a drop mid-reply is reported, the session is rebuilt with the conversation, and the model answers again', async (t) => {
    const r = await rig(t, {
      script: (ctx) => (ctx.responseIndex === 0 ? { text: 'Your order left the warehouse yesterday and should arrive soon.', dropAfterDeltas: 3, deltaIntervalMs: 80 } : { text: 'Sorry, your order arrives tomorrow.' }),
      transcribe: () => 'where is my order',
    });
    const call = await r.dial();
    void call.sendAudio(await say('where is my order', 8000));
    const first = await nextReply(call, 0);
    const second = await nextReply(call, first.endMs);
    await call.hangup();
    assert.deepEqual(r.failures.map((f) => [f.kind, f.phase, f.duringReply, f.recovering]), [['connection-lost', 'mid-call', true, true]]);
    assert.equal(r.fake.connections.length, 2);
    const replayed = r.fake.connections[1].eventsOf('conversation.item.create').map((e) => (e.item as { role: string; content: Array<{ text: string }> }));
    assert.deepEqual(replayed[0] && [replayed[0].role, replayed[0].content[0].text], ['user', 'where is my order']);
    assert.equal(r.fake.connections[1].eventsOf('response.create').length, 1);
    assert.ok(Math.abs(heardToneMs(call, second.startMs, second.endMs) - 'Sorry, your order arrives tomorrow.'.length * MS_PER_CHAR) <= TICK);
    assert.ok(events(r.journal, call, 'realtime.reconnected').length === 1);
  });

  it('local turn detection: our VAD commits and asks; a barge-in it detects cancels and truncates', async (t) => {
    const long = 'Here is a rather long explanation of the delivery options that you are about to interrupt.';
    const r = await rig(
      t,
      { script: (ctx) => (ctx.responseIndex === 0 ? { text: long, deltaIntervalMs: 85 } : { text: 'Okay.' }), transcribe: (ctx) => (ctx.userItemIndex === 0 ? 'where is my order' : 'stop please') },
      { turnDetection: 'local' },
    );
    const call = await r.dial();
    void call.sendAudio(await say('where is my order', 8000));
    const started = await call.waitFor('playoutStarted', { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    void call.sendAudio(await say('stop please', 8000));
    const clear = await call.waitFor('clear', { timeoutMs: 10_000 });
    await nextReply(call, clear.atMs);
    await call.hangup();
    const conn = r.fake.last!;
    assert.equal(conn.turnDetection, null);
    assert.equal(conn.eventsOf('input_audio_buffer.commit').length, 2);
    assert.equal(conn.eventsOf('response.create').length, 2);
    assert.equal(conn.cancels[0]?.active, true);
    const heard = heardToneMs(call, started.atMs, clear.atMs + 100);
    assert.ok(Math.abs(conn.truncates[0].audioEndMs - heard) <= 2 * TICK, `truncated at ${conn.truncates[0].audioEndMs} ms, heard ${heard} ms`);
    assert.equal(events(r.journal, call, 'barge-in')[0]?.data.source, 'local');
  });
});

async function waitForRecord(journal: MemoryJournal, call: SimulatedCall, type: string, timeoutMs = 10_000) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const found = journal.eventsOf(call.callSid, type)[0];
    if (found) return found;
    if (performance.now() > until) throw new Error(`no ${type} record`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
