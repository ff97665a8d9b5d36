// A definition's recordingNotice: accepted by the schemas, said before the greeting only when calls are recorded.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withRecordingNotice } from '../../src/agent/assembly/build-catalog.js';
import { createSpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { AgentDefinitionError, loadDefinitions, parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { MemoryJournal } from '../helpers/call-journal.js';
import { startE2eGateway, type E2eGateway } from '../helpers/e2e-call.js';
import { until } from '../helpers/exotel-socket.js';

const AGENT = (notice: string) => `
name: notice-test
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: Hello.
${notice}
prompts: { fallback: I can only say hi., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Yes? }
intents: [{ name: hello, examples: [hello], reply: Hi. }]
`;

let gateway: E2eGateway | undefined;
after(async () => {
  await gateway?.close();
});

test('recordingNotice is optional text in every kind of definition', () => {
  const def = parseAgentDefinition(AGENT('recordingNotice: This call is recorded.'), 'n.yaml');
  assert.equal(def.recordingNotice, 'This call is recorded.');
  assert.equal(parseAgentDefinition(AGENT(''), 'n.yaml').recordingNotice, undefined);
  assert.throws(() => parseAgentDefinition(AGENT('recordingNotice: 42'), 'n.yaml'), (err: unknown) => err instanceof AgentDefinitionError && /recordingNotice/.test(err.message));
  for (const { definition } of loadDefinitions(join(import.meta.dirname, '../../agents'))) {
    const noticed = withRecordingNotice({ ...definition, recordingNotice: 'Recorded.' }, true);
    const greeting = noticed.greeting;
    const text = typeof greeting === 'string' ? greeting : greeting?.text;
    assert.ok(text?.startsWith('Recorded.'), `${definition.kind} ${definition.name}: ${text}`);
    assert.deepEqual(withRecordingNotice({ ...definition, recordingNotice: 'Recorded.' }, false).greeting, definition.greeting);
  }
});

test('with calls recorded, the caller hears the notice, then the greeting, as the first reply', async () => {
  const journal = new MemoryJournal();
  const plain = parseAgentDefinition(AGENT('recordingNotice: This call is recorded.'), 'notice-test.yaml');
  const agent = new OfflineAgent(withRecordingNotice(plain, true), { file: 'notice-test.yaml', providers: createSpeechProviders() });
  await agent.prepare([8000]);
  gateway = await startE2eGateway({ agents: [agent], parts: { journal } });
  const call = await gateway.dial({ webhookParams: { agent: 'notice-test' } });
  await until(() => (journal.turns.get(call.callSid) ?? []).length > 0, 10_000, 'the greeting turn');
  assert.equal(journal.turns.get(call.callSid)![0].text, 'This call is recorded. Hello.');
  await call.hangup();
});
