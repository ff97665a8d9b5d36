import { AgentCatalog } from '../../src/agent/catalog.js';
import type { Agent } from '../../src/agent/types.js';
import { createEchoAgent } from '../../src/agent/echo.js';
import { loadConfig } from '../../src/config/env.js';
import { buildGateway, type Gateway, type GatewayParts } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';

export interface TestGateway {
  gateway: Gateway;
  /** http://127.0.0.1:<port> */
  base: string;
  /** ws://127.0.0.1:<port> */
  wsBase: string;
  close(): Promise<void>;
}

/** A real gateway on an ephemeral loopback port. */
export async function startGateway(
  env: Record<string, string> = {},
  agents: Agent[] = [createEchoAgent()],
  extra: Partial<GatewayParts> = {},
): Promise<TestGateway> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env });
  const catalog = new AgentCatalog(agents[0].name);
  for (const a of agents) catalog.add(a);
  const gateway = await buildGateway({ config, logger: createLogger(config.logLevel), agents: catalog, ...extra });
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = gateway.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return {
    gateway,
    base: `http://127.0.0.1:${addr.port}`,
    wsBase: `ws://127.0.0.1:${addr.port}`,
    close: async () => {
      if (!gateway.draining) await gateway.drain(0);
    },
  };
}
