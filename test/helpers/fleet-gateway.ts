// One fleet node, assembled as `exovoice serve` assembles it with REDIS_URL (and DATABASE_URL) set: startFleet
// with the node's store, a RecordJournal, and the gateway given the fleet's registry, details, limiter and leases,
// its node id and the fleet's control bus (`fleet.controlBus(local)`).
import type { Logger } from 'pino';
import pino from 'pino';
import { RecordJournal } from '../../src/call/record-journal.js';
import type { ControlBus } from '../../src/call/live-control.js';
import { loadConfig } from '../../src/config/env.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { startFleet, type Fleet } from '../../src/fleet/fleet.js';
import type { CallStore } from '../../src/store/call-store.js';
import { openCallStore } from '../../src/store/open-call-store.js';
import { startE2eGateway, type E2eGateway } from './e2e-call.js';
import type { TestGateway } from './gateway.js';

export interface FleetGateway extends TestGateway, Pick<E2eGateway, 'dial'> {
  fleet: Fleet;
  /** The node's call store: its own connection to the shared Postgres when `databaseUrl` was given. */
  store?: CallStore;
  /** What `fleet.controlBus(local)` made for this node's gateway. */
  control: ControlBus;
}

export interface FleetGatewayOptions {
  redisUrl: string;
  nodeId: string;
  heartbeatMs: number;
  agents: Agent[];
  /** DATABASE_URL: the node opens its own store on it (openCallStore, as serve does) and closes it with the node. */
  databaseUrl?: string;
  /** A store of the test's own, left open on close (instead of `databaseUrl`). */
  store?: CallStore;
  /** More environment for the node's configuration (API_KEY, PORT, WEBHOOK_BASE_URL, ...). */
  env?: Record<string, string>;
  logger?: Logger;
}

export async function startFleetGateway(options: FleetGatewayOptions): Promise<FleetGateway> {
  const { redisUrl, nodeId, heartbeatMs, databaseUrl } = options;
  const logger = options.logger ?? pino({ level: 'silent' });
  const env = {
    REDIS_URL: redisUrl,
    NODE_ID: nodeId,
    HEARTBEAT_MS: String(heartbeatMs),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  };
  const ownStore = databaseUrl ? await openCallStore(loadConfig(env), { onError: () => {}, onRecover: () => {} }) : undefined;
  const store = ownStore ?? options.store;
  const fleet = await startFleet({ config: loadConfig(env), logger, ...(store ? { store } : {}) });
  let control: ControlBus | undefined;
  const e2e = await startE2eGateway({
    env,
    agents: options.agents,
    parts: {
      registry: fleet.registry,
      details: fleet.details,
      fleet,
      nodeId: fleet.nodeId,
      control: (local) => (control = fleet.controlBus(local)),
      ...(store ? { store, journal: new RecordJournal(store, logger.child({ component: 'records' })) } : {}),
    },
  });
  return {
    ...e2e.gw,
    dial: e2e.dial,
    fleet,
    store,
    control: control!,
    // As serve's shutdown: the gateway drains, then the fleet and the store close.
    close: async () => {
      await e2e.close();
      await fleet.close();
      await ownStore?.close();
    },
  };
}
