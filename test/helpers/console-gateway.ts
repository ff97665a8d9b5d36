// A gateway for the console's browser tests and screenshots: the shipped agents (front-desk by default), the
// SQLite call records in a temporary data dir, on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinAgents, prepareAgents } from '../../src/agent/assembly/build-catalog.js';
import { RecordJournal } from '../../src/call/record-journal.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startE2eGateway, type E2eGateway } from './e2e-call.js';

export interface ConsoleGateway extends E2eGateway {
  store: SqliteCallStore;
  /** http://127.0.0.1:<port>/console/ */
  consoleUrl: string;
}

export async function startConsoleGateway(options: { env?: Record<string, string>; rates?: number[] } = {}): Promise<ConsoleGateway> {
  const catalog = createBuiltinAgents(undefined, { warn: () => undefined });
  await prepareAgents(catalog, options.rates ?? [8000]);
  const first = catalog.get(catalog.defaultAgent)!;
  const agents: Agent[] = [first, ...catalog.names().filter((n) => n !== first.name).map((n) => catalog.get(n)!)];
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-console-'));
  const store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  try {
    // DATA_DIR: the recordings (RECORD_CALLS=on) go next to the records.
    const gw = await startE2eGateway({ env: { DATA_DIR: dir, ...options.env }, agents, parts: { store, journal: new RecordJournal(store, createLogger('silent')) } });
    return {
      ...gw,
      store,
      consoleUrl: `${gw.base}/console/`,
      async close() {
        await gw.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
