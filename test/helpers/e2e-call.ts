// Setting up an end-to-end call: a real gateway on loopback, simulated Exotel calls dialled into its
// webhook, and (for outbound calls) a fake Exotel REST server and a SQLite call store; one close() for all.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordJournal } from '../../src/call/record-journal.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import type { GatewayParts } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { SimulatedCall, type SimCallOptions } from '../../src/sim/index.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { freePort, startGateway, type TestGateway } from './gateway.js';

export interface E2eGatewayOptions {
  env?: Record<string, string>;
  agents?: Agent[];
  parts?: Partial<GatewayParts>;
}

export interface E2eGateway {
  gw: TestGateway;
  /** http://127.0.0.1:<port> */
  base: string;
  /**
   * A simulated Exotel call to the gateway's webhook, started. Like Exotel's Voicebot applet it sends
   * 20 ms caller frames unless told otherwise.
   */
  dial(options?: Partial<SimCallOptions>): Promise<SimulatedCall>;
  /** Hangs up the calls still open, then closes the gateway and everything started with it. */
  close(): Promise<void>;
}

export interface OutboundGateway extends E2eGateway {
  /** The fake Exotel the gateway dials through (account acct1, key key1). */
  exotel: FakeExotelRest;
  /** The durable records, in a temporary data dir removed on close. */
  store: SqliteCallStore;
}

export const WEBHOOK_PATH = '/voicebot/connect';

/** A gateway on an ephemeral loopback port. */
export async function startE2eGateway(options: E2eGatewayOptions = {}): Promise<E2eGateway> {
  const gw = await startGateway(options.env, options.agents, options.parts);
  return withCalls(gw, async () => gw.close());
}

/**
 * A gateway set up for outbound calls: its public URL is its own loopback address (so Exotel's status
 * callbacks reach it), it dials a fake Exotel REST server, and records calls in a SQLite store.
 */
export async function startOutboundGateway(options: E2eGatewayOptions = {}): Promise<OutboundGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-e2e-'));
  const exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'key1', apiToken: 'token-abcdef' });
  let store: SqliteCallStore | undefined;
  let gw: TestGateway | undefined;
  const closeAll = async () => {
    await gw?.close();
    await store?.close();
    await exotel.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await exotel.start();
    store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
    const port = await freePort();
    gw = await startGateway(
      {
        PORT: String(port),
        WEBHOOK_BASE_URL: `http://127.0.0.1:${port}`,
        EXOTEL_API_KEY: 'key1',
        EXOTEL_API_TOKEN: 'token-abcdef',
        EXOTEL_SID: 'acct1',
        EXOTEL_SUBDOMAIN: 'api.in.exotel.com',
        EXOTEL_API_BASE_URL: exotel.baseUrl,
        EXOTEL_CALLER_ID: '08047491899',
        ...options.env,
      },
      options.agents,
      { store, journal: new RecordJournal(store, createLogger('silent')), ...options.parts },
    );
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { ...withCalls(gw, closeAll), exotel, store };
}

function withCalls(gw: TestGateway, closeRest: () => Promise<void>): E2eGateway {
  const calls: SimulatedCall[] = [];
  return {
    gw,
    base: gw.base,
    async dial(options = {}) {
      const call = new SimulatedCall({ url: `${gw.base}${WEBHOOK_PATH}`, callerFrameMs: 20, ...options });
      calls.push(call);
      await call.start();
      return call;
    },
    async close() {
      for (const call of calls) if (!call.isClosed) await call.hangup().catch(() => undefined);
      await closeRest();
    },
  };
}
