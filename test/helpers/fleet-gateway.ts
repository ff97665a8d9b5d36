import type { Logger } from 'pino';
import pino from 'pino';
import type { Agent } from '../../src/conversation/call-contract.js';
import { startFleet, type Fleet } from '../../src/fleet/fleet.js';
import type { CallStore } from '../../src/store/call-store.js';
import { startGateway, type TestGateway } from './gateway.js';

export interface FleetGateway extends TestGateway {
  fleet: Fleet;
}

/** A gateway in fleet mode, as `exovoice serve` assembles it with REDIS_URL set. */
export async function startFleetGateway(
  options: { redisUrl: string; nodeId: string; heartbeatMs: number; agents: Agent[]; store?: CallStore; logger?: Logger },
): Promise<FleetGateway> {
  const { redisUrl, nodeId, heartbeatMs, store } = options;
  const fleet = await startFleet({
    config: { redisUrl, nodeId, heartbeatMs, exotel: { callsPerMinute: 60 } },
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(store ? { store } : {}),
  });
  const env = { REDIS_URL: redisUrl, NODE_ID: nodeId, HEARTBEAT_MS: String(heartbeatMs) };
  const gw = await startGateway(env, options.agents, { registry: fleet.registry, details: fleet.details, fleet, ...(store ? { store } : {}) });
  return {
    ...gw,
    fleet,
    close: async () => {
      await gw.close();
      await fleet.close();
    },
  };
}
