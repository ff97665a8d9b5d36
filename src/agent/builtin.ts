import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/env.js';
import { AgentCatalog } from './catalog.js';
import { ConversationalAgent, type PreparedAgent } from './conversational.js';
import { createSpeechProviders, type SpeechProviderOptions } from './conversational-providers.js';
import { AgentDefinitionError, loadAgentDefinitions } from './definition-loader.js';
import { createEchoAgent } from './echo.js';
import type { Agent } from './types.js';

/** The definitions shipped with the server. */
export const AGENTS_DIR = fileURLToPath(new URL('../../agents/', import.meta.url));
/** Answers calls when DEFAULT_AGENT names no other agent. */
export const DEFAULT_AGENT_NAME = 'front-desk';

export interface BuiltinAgentOptions extends SpeechProviderOptions {
  /** Where agent definitions live (default: the repository's agents/). */
  agentsDir?: string;
}

/**
 * The echo agent plus one conversational agent per definition file, with the definitions' routes.
 * Reads and validates every definition now: a broken file throws an AgentDefinitionError naming
 * the file and field. `defaultAgent` (DEFAULT_AGENT) must name one of the agents (else a ConfigError). Call
 * `prepareAgents` before taking calls.
 */
export function createBuiltinAgents(defaultAgent: string | undefined, options: BuiltinAgentOptions = {}): AgentCatalog {
  const loaded = loadAgentDefinitions(options.agentsDir ?? AGENTS_DIR);
  const echo = createEchoAgent();
  const catalog = new AgentCatalog(loaded.some((l) => l.definition.name === DEFAULT_AGENT_NAME) ? DEFAULT_AGENT_NAME : echo.name).add(echo);
  const providers = loaded.length > 0 ? createSpeechProviders(options) : undefined;
  for (const { definition, file } of loaded) {
    if (definition.name === echo.name) throw new AgentDefinitionError(file, [`name: "${echo.name}" is a built-in agent`]);
    catalog.add(new ConversationalAgent(definition, { file, providers: providers! }));
    try {
      for (const value of definition.routing.customFields) catalog.routeCustomField(value, definition.name);
      for (const number of definition.routing.numbers) catalog.routeNumber(number, definition.name);
    } catch (err) {
      throw new AgentDefinitionError(file, [`routing: ${(err as Error).message}`]);
    }
  }
  try {
    if (defaultAgent) catalog.setDefault(defaultAgent);
  } catch (err) {
    throw new ConfigError(`invalid configuration: DEFAULT_AGENT: ${(err as Error).message}`);
  }
  return catalog;
}

/** Compiles grammars and synthesizes fixed prompts of every agent that needs it, at the given call rates. */
export async function prepareAgents(catalog: AgentCatalog, sampleRates: readonly number[]): Promise<void> {
  const agents = catalog.names().map((n) => catalog.get(n)).filter(isPrepared);
  await Promise.all(agents.map((a) => a.prepare(sampleRates)));
}

function isPrepared(agent: Agent | undefined): agent is PreparedAgent {
  return typeof (agent as Partial<PreparedAgent> | undefined)?.prepare === 'function';
}
