// The Hindi front desk with no cloud at all, end to end over real sockets: the simulator plays Exotel and a
// Hindi caller (espeak-ng's Hindi voice, the caller's audio), presses keys; the gateway runs the shipped
// definitions built as at start-up without a single key. Replies are checked in the transcript; the caller
// must have heard each one (the bot's audio reached the simulated caller and played out).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBuiltinAgents } from '../../src/agent/assembly/build-catalog.js';
import type { AgentCatalog } from '../../src/agent/assembly/catalog.js';
import { speakDigits } from '../../src/agent/brain/digits.js';
import type { AgentDefinition } from '../../src/agent/definition/schema.js';
import { OfflineAgent } from '../../src/agent/kinds/offline.js';
import type { PreparedAgent } from '../../src/agent/kinds/preparation.js';
import { createEspeakTts } from '../../src/providers/tts/espeak.js';
import type { SimulatedCall } from '../../src/sim/index.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway, type E2eGateway } from '../helpers/e2e-call.js';
import { heardToneMs } from '../helpers/heard-audio.js';
import { concat, silence } from '../helpers/speech.js';

const RATE = 8000;
const journal = new MemoryJournal();
const warnings: string[] = [];
let gateway: E2eGateway;
let catalog: AgentCatalog;
let hindi: AgentDefinition;
let english: AgentDefinition;
/** "दुकान कितने बजे खुलती है?" in a Hindi voice: speech the English-only recogniser cannot match. */
let hindiQuestion: Int16Array;

before(async () => {
  catalog = createBuiltinAgents(undefined, { env: {}, warn: (m) => warnings.push(m) });
  const agents = [...new Set(['front-desk-hindi', 'front-desk'].map((n) => catalog.get(n) as PreparedAgent))];
  const espeak = createEspeakTts();
  const [question] = await Promise.all([
    espeak.synthesize('दुकान कितने बजे खुलती है?', { voice: 'hi+m1', sampleRate: RATE }),
    ...agents.map((a) => a.prepare([RATE])),
  ]);
  hindiQuestion = concat(question.samples, silence(400, RATE));
  hindi = definitionOf('front-desk-hindi-keypad');
  english = definitionOf('front-desk');
  gateway = await startE2eGateway({ parts: { journal, agents: catalog } });
});

after(async () => {
  await gateway?.close();
});

function definitionOf(name: string): AgentDefinition {
  const agent = catalog.get(name) as unknown as { inner?: unknown };
  const inner = (agent.inner ?? agent) as OfflineAgent;
  assert.ok(inner instanceof OfflineAgent, `${name} is an offline agent`);
  return inner.definition;
}

function reply(def: AgentDefinition, intent: string, value?: string): string {
  const i = def.intents.find((x) => x.name === intent)!;
  const template = (value && i.answers?.[value]) || i.reply;
  return value ? template.replaceAll(`{${i.slot!.name}}`, speakDigits(value)) : template;
}

/** The index of the call's agent turn saying `text` (after `from` turns), once there is one. */
function agentSays(call: SimulatedCall, text: string, from = 0): Promise<number> {
  return journal.agentTurn(call.callSid, (t) => t === text, from);
}

/** Presses keys one after another. */
async function press(call: SimulatedCall, keys: string): Promise<void> {
  for (const k of keys) {
    call.sendDtmf(k);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('the Hindi front desk without any key', { concurrency: 2 }, () => {
  it('runs offline under its own name, with a warning at start-up', () => {
    assert.equal(hindi.language, 'hi-IN');
    assert.equal(catalog.get('front-desk-hindi')!.name, 'front-desk-hindi-keypad');
    assert.equal(catalog.select({ customField: 'front-desk-hindi', customParameters: {} }), catalog.get('front-desk-hindi'));
    assert.ok(
      warnings.includes('agent "front-desk-hindi" (agents/front-desk-hindi.yaml) runs offline as "front-desk-hindi-keypad": SARVAM_API_KEY, LLM_API_KEY (or OPENAI_API_KEY) are not set'),
      warnings.join('\n'),
    );
  });

  it('serves a Hindi caller on the keypad: menu, order status by typed digits, hours, repeat, and a colleague', async () => {
    const call = await gateway.dial({ webhookParams: { agent: 'front-desk-hindi' } });
    const greeting = await agentSays(call, (hindi.greeting as string).trim());
    // The caller asks in Hindi once the menu is read: the recogniser cannot tell, so the menu is offered again.
    await call.waitFor('playoutIdle', { predicate: (e) => e.endOfReply, timeoutMs: 60_000 });
    void call.sendAudio(hindiQuestion);
    const fallback = await agentSays(call, hindi.prompts.fallback, greeting + 1);

    await press(call, '2');
    const ask = await agentSays(call, hindi.intents.find((i) => i.name === 'order-status')!.slot!.ask, fallback + 1);
    await press(call, '12345');
    const order = await agentSays(call, reply(hindi, 'order-status', '12345'), ask + 1);
    assert.match(reply(hindi, 'order-status', '12345'), /ऑर्डर नंबर 1 2 3 4 5 कल भेजा गया/);

    await press(call, '1');
    const hours = await agentSays(call, reply(hindi, 'opening-hours'), order + 1);
    await press(call, '*');
    const again = await agentSays(call, reply(hindi, 'opening-hours'), hours + 1);
    await press(call, '0');
    await agentSays(call, reply(hindi, 'talk-to-person'), again + 1);
    const report = await call.ended();
    assert.equal(report.closeReason, 'transfer');

    const turns = journal.turns.get(call.callSid)!;
    const said = turns.map((t) => [t.role, t.text]);
    const [question, ...keys] = said.filter(([role]) => role === 'caller');
    // What the English recogniser made of the Hindi question (its words, or the rejected hypothesis) is kept.
    assert.ok(question && question[1]!.length > 0 && !question[1]!.startsWith('[DTMF]'), JSON.stringify(question));
    assert.deepEqual(keys, [['caller', '[DTMF] 2'], ['caller', '[DTMF] 12345'], ['caller', '[DTMF] 1'], ['caller', '[DTMF] *'], ['caller', '[DTMF] 0']]);
    for (const t of turns.filter((x) => x.role === 'agent')) assert.match(t.text, /[\u0900-\u097F]/, `"${t.text}" is Hindi`);
    assert.ok(heardToneMs(call, 0, call.elapsedMs()) > 10_000, 'the caller heard the replies');
    assert.equal(report.violations.length, 0, JSON.stringify(report.violations));
  });

  it('9 switches to the English front desk mid-call: its greeting, keypad and voice, recorded as a language event', async () => {
    const call = await gateway.dial({ webhookParams: { agent: 'front-desk-hindi' } });
    await call.waitFor('markEchoed', { predicate: (m) => m.name.startsWith('r1.'), timeoutMs: 30_000 });
    await press(call, '9');
    const greeting = await agentSays(call, english.greeting as string);
    const events = journal.eventsOf(call.callSid, 'language');
    assert.deepEqual(
      events.map((e) => e.data),
      [
        { language: 'hi-IN', via: 'start', agent: 'front-desk-hindi-keypad' },
        { language: 'en-IN', via: 'keypad', from: 'front-desk-hindi-keypad', agent: 'front-desk' },
      ],
    );
    await press(call, '1');
    await agentSays(call, reply(english, 'opening-hours'), greeting + 1);
    await call.hangup();
    const caller = journal.turns.get(call.callSid)!.filter((t) => t.role === 'caller').map((t) => t.text);
    assert.deepEqual(caller, ['[DTMF] 9', '[DTMF] 1']);
  });
});
