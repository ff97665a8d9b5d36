// What the live-control tests share: agents that can speak, a gateway that keeps call records, the control
// request, and waiting on a call's record.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSpeechProviders } from '../../src/agent/assembly/offline-providers.js';
import { parseAgentDefinition } from '../../src/agent/definition/loader.js';
import { OfflineAgent } from '../../src/agent/kinds/offline.js';
import { RecordJournal } from '../../src/call/record-journal.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import type { GatewayParts } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import type { CallRecord, CallStore } from '../../src/store/call-store.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startE2eGateway, type E2eGateway } from './e2e-call.js';

export const API_KEY = 'control-test-key-0123456789';

const definition = (name: string, greeting: string) => `
name: ${name}
language: en-US
voice: { provider: flite, voice: kal }
stt: { provider: pocketsphinx }
greeting: ${greeting}
prompts: { fallback: I can only say hi., notUnderstood: Sorry?, apology: Sorry., howCanIHelp: Yes? }
intents: [{ name: hello, examples: [hello], reply: Hi. }]
`;

/** An offline agent (flite voice) greeting with `greeting`, prepared for 8 kHz calls. */
export async function speakingAgent(name: string, greeting: string): Promise<OfflineAgent> {
  const agent = new OfflineAgent(parseAgentDefinition(definition(name, greeting), `${name}.yaml`), { file: `${name}.yaml`, providers: createSpeechProviders() });
  await agent.prepare([8000]);
  return agent;
}

export interface ControlGateway extends E2eGateway {
  store: SqliteCallStore;
}

/** A gateway (admin API behind API_KEY) writing call records to its own SQLite store, removed on close. */
export async function startControlGateway(agents: Agent[], parts: Partial<GatewayParts> = {}): Promise<ControlGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-control-'));
  const store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const gw = await startE2eGateway({ agents, env: { API_KEY }, parts: { store, journal: new RecordJournal(store, createLogger('silent')), ...parts } });
  return {
    ...gw,
    store,
    async close() {
      await gw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `POST /calls/:id/:kind` with the admin key; the status and the JSON answer. */
export async function control(base: string, id: string, kind: string, body?: unknown, key = API_KEY): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/calls/${encodeURIComponent(id)}/${kind}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The call's record once `ready` holds for it (the journal writes in batches). */
export async function recordWhen(store: CallStore, id: string, ready: (r: CallRecord) => boolean, what: string, timeoutMs = 15_000): Promise<CallRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await store.get(id);
    if (record && ready(record)) return record;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; record: ${JSON.stringify(record && { events: record.events.map((e) => e.type), transcript: record.transcript })}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The data of the record's first event of `type`. */
export function eventData(record: CallRecord, type: string): Record<string, unknown> | undefined {
  return record.events.find((e) => e.type === type)?.data as Record<string, unknown> | undefined;
}
