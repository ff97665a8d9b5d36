// A real gateway for script tests: the shipped agents (built as at start-up, no keys), prepared at 8 kHz, and a
// SQLite call store behind the admin API, so a script can read each call's record (GET /calls/:id).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinAgents, prepareAgents } from '../../src/agent/assembly/build-catalog.js';
import { RecordJournal } from '../../src/call/record-journal.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

export interface ScriptGateway {
  gw: TestGateway;
  /** The gateway's Exotel webhook. */
  webhook: string;
  close(): Promise<void>;
}

export async function startScriptGateway(): Promise<ScriptGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-script-'));
  const store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const catalog = createBuiltinAgents(undefined, { env: {}, warn: () => undefined });
  await prepareAgents(catalog, [8000]);
  const gw = await startGateway({}, undefined, { store, journal: new RecordJournal(store, createLogger('silent')), agents: catalog });
  return {
    gw,
    webhook: `${gw.base}/voicebot/connect`,
    async close() {
      await gw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
