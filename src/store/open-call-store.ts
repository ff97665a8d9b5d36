// Which store holds the call records: Postgres when DATABASE_URL is set (a fleet of nodes shares it),
// else SQLite in DATA_DIR (one node, no setup). Failing to open either is a StoreOpenError whose message
// is one line for the operator, the database password masked.
import { maskUrl } from '../observability/redact.js';
import type { CallStore } from './call-store.js';
import { DataDirError } from './data-dir.js';
import { openPostgresCallStore } from './postgres-call-store.js';
import { openSqliteCallStore } from './sqlite-call-store.js';
import type { StoreErrorInfo, StoreRecoveryInfo } from './store-health.js';

export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}

export interface StoreHooks {
  onError: (err: unknown, info: StoreErrorInfo) => void;
  onRecover: (info: StoreRecoveryInfo) => void;
}

/** The store settings of the configuration (src/config/env.ts: DATA_DIR, DATABASE_URL, PG_*). */
export interface StoreConfig {
  dataDir: string;
  databaseUrl?: string;
  pgPoolSize: number;
  pgStatementTimeoutMs: number;
}

export async function openCallStore(config: StoreConfig, hooks: StoreHooks): Promise<CallStore> {
  const url = config.databaseUrl;
  if (url !== undefined) {
    try {
      return await openPostgresCallStore({
        connectionString: url,
        poolSize: config.pgPoolSize,
        statementTimeoutMs: config.pgStatementTimeoutMs,
        ...hooks,
      });
    } catch (err) {
      const why = (err as Error).message.split(url).join(maskUrl(url));
      throw new StoreOpenError(oneLine(`DATABASE_URL ${maskUrl(url)} cannot hold the call records (connecting or migrating failed): ${why}`));
    }
  }
  try {
    return openSqliteCallStore({ dataDir: config.dataDir, ...hooks });
  } catch (err) {
    const why = err instanceof DataDirError ? `is not writable: ${err.reason}` : `cannot hold the call records: ${(err as Error).message}`;
    throw new StoreOpenError(oneLine(`DATA_DIR ${config.dataDir} ${why}`));
  }
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ');
