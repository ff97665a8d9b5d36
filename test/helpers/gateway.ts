import { createServer, type AddressInfo } from 'node:net';
import { AgentCatalog } from '../../src/agent/assembly/catalog.js';
import type { Agent } from '../../src/conversation/call-contract.js';
import { createEchoAgent } from '../../src/agent/kinds/echo.js';
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

/** A free loopback port, for a gateway that must know its own public URL before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

/** A real gateway on a loopback port (ephemeral unless `PORT` is given). */
export async function startGateway(
  env: Record<string, string> = {},
  agents: Agent[] = [createEchoAgent()],
  extra: Partial<GatewayParts> = {},
): Promise<TestGateway> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', ...env });
  const catalog = new AgentCatalog(agents[0].name);
  for (const a of agents) catalog.add(a);
  const gateway = await buildGateway({ config, logger: createLogger(config.logLevel), agents: catalog, ...extra });
  await gateway.app.listen({ port: config.port, host: '127.0.0.1' });
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
