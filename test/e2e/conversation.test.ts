// End to end over real sockets: the simulator plays Exotel and a caller (flite voices other than
// the agent's), the gateway runs the shipped front-desk agent. What the caller heard is decoded
// again with PocketSphinx and must be the expected answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBuiltinAgents, prepareAgents } from '../../src/agent/assembly/build-catalog.js';
import { speakDigits } from '../../src/agent/brain/digits.js';
import { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { VoiceBank } from '../../src/conversation/voice-bank.js';
import { createSpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { createPocketSphinxStt } from '../../src/providers/stt/pocketsphinx.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway, type E2eGateway } from '../helpers/e2e-call.js';
import { nextReply } from '../helpers/heard-audio.js';
import { concat, silence, speechBounds, synthesize, whiteNoise, type FliteVoice } from '../helpers/speech.js';

const RATE = 8000;
const journal = new MemoryJournal();
let gateway: E2eGateway;
let frontDesk: OfflineAgent;
const decoder = createPocketSphinxStt({ skipOutOfVocabulary: true });

const LIMIT_AGENT = `
name: limit-test
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: Hello.
idle: { afterMs: 60000, prompts: [Hello?], maxPrompts: 1, goodbye: Bye. }
limits: { maxCallMs: 10000, wrapUp: Time is up. }
prompts: { fallback: I can only say hi., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Yes? }
intents: [{ name: hello, examples: [hello], reply: Hi. }]
`;

const IDLE_AGENT = `
name: idle-test
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: Hello.
idle: { afterMs: 1500, prompts: [Are you still there?], maxPrompts: 1, goodbye: Goodbye for now. }
prompts: { fallback: I can only say hi., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Yes? }
intents: [{ name: hello, examples: [hello], reply: Hi. }]
`;

/** Speech followed by a little silence, in the caller's voice. */
async function speech(text: string, voice: FliteVoice): Promise<Int16Array> {
  return concat(await synthesize(text, RATE, voice), silence(300, RATE));
}

// Synthesized up front: flite runs on this thread, and blocking it mid-call would make the simulated
// caller's frame clock catch up in a burst.
const clips = {
  hours: speech('what are your opening hours', 'rms'),
  person: speech('talk to a person', 'awb'),
  goodbye: speech('goodbye', 'kal16'),
  // A cough-like burst: loud enough and long enough to interrupt, too short and wordless to be a turn.
  cough: Promise.resolve(concat(whiteNoise(320, RATE, -18), silence(300, RATE))),
};

before(async () => {
  const catalog = createBuiltinAgents(undefined);
  frontDesk = catalog.get('front-desk') as OfflineAgent;
  const idle = new OfflineAgent(parseAgentDefinition(IDLE_AGENT, 'idle-test.yaml'), { file: 'idle-test.yaml', providers: createSpeechProviders() });
  const limit = new OfflineAgent(parseAgentDefinition(LIMIT_AGENT, 'limit-test.yaml'), { file: 'limit-test.yaml', providers: createSpeechProviders() });
  await Promise.all([prepareAgents(catalog, [RATE]), idle.prepare([RATE]), limit.prepare([RATE]), ...Object.values(clips)]);
  gateway = await startE2eGateway({ agents: [frontDesk, idle, limit], parts: { journal } });
});

after(async () => {
  await gateway?.close();
});

function dial(params: Record<string, string> = {}): Promise<SimulatedCall> {
  return gateway.dial({ webhookParams: params });
}

/** What the caller heard in a span, recognized against the agent's possible replies. */
async function decode(call: SimulatedCall, span: { startMs: number; endMs: number }, candidates: string[]): Promise<string> {
  const heard = call.report().playedAudio;
  const audio = heard.subarray(Math.round((span.startMs * RATE) / 1000), Math.round((span.endMs * RATE) / 1000));
  const grammar = await decoder.compileGrammar({ phrases: candidates.map(spokenForm) });
  const result = await decoder.recognize(audio, RATE, { grammar });
  return result.text;
}

/** Digits as words, the way the dictionary knows them. */
function spokenForm(text: string): string {
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  return text.replace(/\d/g, (d) => ` ${words[Number(d)]} `);
}

/** Every reply the front desk can give without a slot value, plus the given ones. */
function replies(...extra: string[]): string[] {
  return [...new Set([...frontDesk.brain.fixedReplies().map((r) => r.text), ...extra])];
}

function intentReply(name: string, value?: string): string {
  const intent = frontDesk.definition.intents.find((i) => i.name === name)!;
  const template = (value && intent.answers?.[value]) || intent.reply;
  return value ? template.replaceAll(`{${intent.slot!.name}}`, speakDigits(value)) : template;
}

describe('the front-desk agent over real sockets', { concurrency: 5 }, () => {
  it('speech barge-in cuts the greeting while the caller speaks, the question is answered, a person is asked for and the call is transferred', async () => {
    const call = await dial();
    // Let the greeting's first sentence play out (its mark comes back), then talk over the second.
    await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r1.0' });
    const question = await clips.hours;
    await new Promise((r) => setTimeout(r, 30)); // let the caller's frame clock settle on real time
    const sentAt = call.elapsedMs();
    void call.sendAudio(question);
    const onsetMs = sentAt + speechBounds(question, RATE).startMs;
    const clear = await call.waitFor('clear', { predicate: (c) => c.atMs >= sentAt });
    // Barge-in acts on the caller's onset, not on the end of their turn: the clear comes while they still speak.
    // How soon after the onset is a latency figure (the failure message shows it), not a timed assertion.
    const speechEndMs = sentAt + speechBounds(question, RATE).endMs;
    assert.ok(clear.atMs < speechEndMs, `clear ${Math.round(clear.atMs - onsetMs)} ms after the caller began speaking, after they stopped`);

    const answer = await nextReply(call, clear.atMs);
    assert.equal(await decode(call, answer, replies()), spokenForm(intentReply('opening-hours')));

    void call.sendAudio(await clips.person);
    const handover = await nextReply(call, answer.endMs);
    const report = await call.ended();
    assert.equal(report.endedBy, 'bot');
    assert.equal(report.closeReason, 'transfer');
    assert.equal(await decode(call, handover, replies()), spokenForm(intentReply('talk-to-person')));
    assert.ok(report.marks.records.some((m) => m.name.startsWith('r') && m.status === 'echoed' && m.echoedAtMs! >= handover.endMs - 40), 'the hand-over line was heard before the call moved on');

    const turns = journal.turns.get(call.callSid)!;
    const [greeting, caller1, agent1, caller2, agent2] = turns;
    const greetingText = frontDesk.definition.greeting as string;
    assert.equal(greeting.role, 'agent');
    assert.equal(greeting.interrupted, true);
    assert.ok(greeting.heardText && greetingText.startsWith(greeting.heardText) && greeting.heardText.length < greetingText.length, `heard "${greeting.heardText}"`);
    assert.deepEqual([caller1.role, caller1.text], ['caller', 'what are your opening hours']);
    assert.equal(agent1.text, intentReply('opening-hours'));
    assert.deepEqual([caller2.role, caller2.text], ['caller', 'talk to a person']);
    assert.equal(agent2.text, intentReply('talk-to-person'));
    for (const t of turns) assert.ok(t.startedAt > 1e12 && (t.endedAt ?? Infinity) >= t.startedAt, 'epoch-ms times');
    const types = new Set((journal.events.get(call.callSid) ?? []).map((e) => e.type));
    for (const stage of ['turn.speech-end', 'turn.transcript', 'turn.reply-text', 'turn.first-audio', 'turn.first-frame', 'turn.first-mark', 'barge-in', 'transfer']) {
      assert.ok(types.has(stage), `timeline has ${stage}`);
    }
  });

  it('a keypad menu choice asks for the order number, typed digits are answered, and goodbye ends the call', async () => {
    const call = await dial();
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply });
    call.sendDtmf('2');
    const ask = await nextReply(call, call.elapsedMs());
    assert.equal(await decode(call, ask, replies()), spokenForm(frontDesk.definition.intents.find((i) => i.name === 'order-status')!.slot!.ask));
    for (const d of '12345') call.sendDtmf(d);
    const answer = await nextReply(call, ask.endMs);
    assert.equal(await decode(call, answer, replies(intentReply('order-status', '12345'), intentReply('order-status', '54321'))), spokenForm(intentReply('order-status', '12345')));

    void call.sendAudio(await clips.goodbye);
    const bye = await nextReply(call, answer.endMs);
    const report = await call.ended();
    assert.equal(report.closeReason, 'bot-hangup');
    assert.equal(await decode(call, bye, replies()), spokenForm(intentReply('goodbye')));
    const texts = journal.turns.get(call.callSid)!.map((t) => `${t.role}: ${t.text}`);
    assert.deepEqual(texts.slice(1), [
      'caller: [DTMF] 2',
      `agent: ${frontDesk.definition.intents.find((i) => i.name === 'order-status')!.slot!.ask}`,
      'caller: [DTMF] 12345',
      `agent: ${intentReply('order-status', '12345')}`,
      'caller: goodbye',
      `agent: ${intentReply('goodbye')}`,
    ]);
  });

  it('a silent caller is prompted after the idle time, then said goodbye to and hung up on', async () => {
    const call = await dial({ agent: 'idle-test' });
    const greeting = await nextReply(call, 0);
    const prompt = await nextReply(call, greeting.endMs);
    const bye = await nextReply(call, prompt.endMs);
    const report = await call.ended();
    assert.equal(report.closeReason, 'bot-hangup');
    // Idle time counts from the end of playout (mark echo); allow for echo and scheduling delays.
    for (const [label, gap] of [
      ['prompt', prompt.startMs - greeting.endMs],
      ['goodbye', bye.startMs - prompt.endMs],
    ] as const) {
      assert.ok(gap >= 1450 && gap <= 2200, `${label} came ${gap} ms after the previous reply ended`);
    }
    assert.ok(report.durationMs >= bye.endMs - 40, 'the goodbye played before the call ended');
    const texts = journal.turns.get(call.callSid)!.map((t) => `${t.role}: ${t.text}`);
    assert.deepEqual(texts, ['agent: Hello.', 'agent: Are you still there?', 'agent: Goodbye for now.']);
  });

  it('a noise that interrupts a reply is a false interruption: the reply resumes from the sentence that was cut', async () => {
    const call = await dial();
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply });
    call.sendDtmf('1');
    await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r2.0', timeoutMs: 15_000 });
    const sentAt = call.elapsedMs();
    void call.sendAudio(await clips.cough);
    const clear = await call.waitFor('clear', { predicate: (c) => c.atMs >= sentAt });
    const resumed = await nextReply(call, clear.atMs);
    // It resumes from the sentence the cough cut (the second one) to the end.
    const unheard = VoiceBank.sentences(intentReply('opening-hours')).slice(1).join(' ');
    assert.equal(await decode(call, resumed, [...replies(), unheard]), spokenForm(unheard));
    const events = journal.eventsOf(call.callSid, 'reply-resumed');
    assert.deepEqual(events.map((e) => e.data), [{ replyId: 'r2', fromSentence: 1 }]);
    await call.hangup();
    const turns = journal.turns.get(call.callSid)!;
    assert.deepEqual(
      turns.map((t) => [t.role, t.text, t.interrupted ?? false]),
      [
        ['agent', frontDesk.definition.greeting, false],
        ['caller', '[DTMF] 1', false],
        ['agent', intentReply('opening-hours'), false],
      ],
      'no caller turn for the noise; the reply was heard in full in the end',
    );
    assert.equal(turns[2].heardText, intentReply('opening-hours'));
  });

  it('the call-length limit is announced and the call ends', async () => {
    const call = await dial({ agent: 'limit-test' });
    const report = await call.ended();
    assert.equal(report.closeReason, 'max-duration');
    const wrapUp = journal.eventsOf(call.callSid, 'turn.hangup')[0];
    assert.deepEqual(wrapUp?.data, { reason: 'max-duration', wrapUp: true });
    assert.deepEqual(
      journal.turns.get(call.callSid)!.map((t) => t.text),
      ['Hello.', 'Time is up.'],
    );
    assert.ok(report.durationMs >= 10_000, `ended after ${Math.round(report.durationMs)} ms`);
  });
});
