import { AgentCatalog } from './catalog.js';
import { createEchoAgent } from './echo.js';

/** The agents that ship with the server. `defaultAgent` (DEFAULT_AGENT) must name one of them. */
export function createBuiltinAgents(defaultAgent: string | undefined): AgentCatalog {
  const catalog = new AgentCatalog('echo').add(createEchoAgent());
  if (defaultAgent) catalog.setDefault(defaultAgent);
  return catalog;
}
