import { fileURLToPath } from 'node:url';
import type { Scheduler } from '../../clock/scheduler.js';
import { ConfigError } from '../../config/env.js';
import { loadProviderConfig, type ProviderConfig } from '../../config/providers.js';
import { AgentCatalog } from './catalog.js';
import { createCloudAgent } from './cloud-agents.js';
import { missingVariables } from './cloud-providers.js';
import { OfflineAgent } from '../kinds/offline.js';
import type { PreparedAgent } from '../kinds/preparation.js';
import { createSpeechProviders, type SpeechProviderOptions, type SpeechProviders } from './offline-providers.js';
import { AgentDefinitionError, loadDefinitions } from '../definition/loader.js';
import { createEchoAgent } from '../kinds/echo.js';
import type { Agent } from '../../conversation/call-contract.js';
import type { AnyAgentDefinition } from '../definition/cloud-schema.js';
import { LanguageSwitchingAgent } from '../kinds/language-switch.js';

/** The definitions shipped with the server. */
export const AGENTS_DIR = fileURLToPath(new URL('../../../agents/', import.meta.url));
/** Answers calls when DEFAULT_AGENT names no other agent. */
export const DEFAULT_AGENT_NAME = 'front-desk';

export interface BuiltinAgentOptions extends SpeechProviderOptions {
  /** Where agent definitions live (default: the repository's agents/). */
  agentsDir?: string;
  /** Where provider keys, base URLs and tool variables are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Start-up warnings: cloud agents skipped for missing keys, tools left out. Default: stderr. */
  warn?: (message: string) => void;
  scheduler?: Scheduler;
  /** RECORD_CALLS=on: definitions' `recordingNotice` is said before their greeting. */
  recordCalls?: boolean;
  /** The speech engines and prompt cache the agents share (default: created from the pool sizes here). */
  speech?: SpeechProviders;
}

/**
 * The definition as calls get it: with calls recorded, its recording notice opens the greeting (the same reply,
 * so the greeting's barge-in protection covers the notice too); without, the notice is not said.
 */
export function withRecordingNotice<D extends AnyAgentDefinition>(def: D, recordCalls: boolean): D {
  const notice = def.recordingNotice;
  if (!recordCalls || notice === undefined) return def;
  if (def.kind === 'realtime') return { ...def, greeting: def.greeting === undefined ? notice : `${notice} ${def.greeting}` };
  if (def.kind === 'cascade') return { ...def, greeting: `${notice} ${def.greeting}` };
  const greeting = def.greeting;
  return { ...def, greeting: typeof greeting === 'string' ? `${notice} ${greeting}` : { ...greeting, text: `${notice} ${greeting.text}` } };
}

const warnOnStderr = (message: string): void => console.warn(`exovoice: warning: ${message}`);

/**
 * The echo agent plus one agent per definition file, with the definitions' routes: conversational (offline)
 * agents, and cloud agents (cascade, realtime) whose provider variables are set. A cloud agent missing a
 * variable is skipped with a warning naming it, unless `defaultAgent` names it (a ConfigError then).
 * Reads and validates every definition now: a broken file throws an AgentDefinitionError naming the file and
 * field; an invalid provider variable a ConfigError. `defaultAgent` (DEFAULT_AGENT) must name one of the agents
 * (else a ConfigError). Call `prepareAgents` before taking calls.
 */
export function createBuiltinAgents(defaultAgent: string | undefined, options: BuiltinAgentOptions = {}): AgentCatalog {
  const loaded = loadDefinitions(options.agentsDir ?? AGENTS_DIR).map((l) => ({ ...l, definition: withRecordingNotice(l.definition, options.recordCalls === true) }));
  const config = loadProviderConfig(options.env ?? process.env);
  const warn = options.warn ?? warnOnStderr;
  const echo = createEchoAgent();
  const catalog = new AgentCatalog(loaded.some((l) => l.definition.name === DEFAULT_AGENT_NAME) ? DEFAULT_AGENT_NAME : echo.name).add(echo);
  const speech = loaded.length > 0 ? (options.speech ?? createSpeechProviders(options)) : undefined;
  // Offline agents first: cloud agents fall back on them.
  const offline = new Map<string, OfflineAgent>();
  // Each agent as calls get it: with its language switch when its definition offers other languages.
  const withLanguages = (agent: Agent, def: AnyAgentDefinition): Agent =>
    def.kind !== 'realtime' && Object.keys(def.languages).length > 0
      ? new LanguageSwitchingAgent(agent, def.language, new Map(Object.entries(def.languages)), (name) => catalog.get(name))
      : agent;
  const offlineAgents = new Map<string, Agent>();
  for (const { definition, file } of loaded) {
    if (definition.kind !== 'conversational') continue;
    const agent = new OfflineAgent(definition, { file, providers: speech!, scheduler: options.scheduler });
    offline.set(definition.name, agent);
    offlineAgents.set(definition.name, withLanguages(agent, definition));
  }
  for (const { definition, file } of loaded) {
    if (definition.name === echo.name) throw new AgentDefinitionError(file, [`name: "${echo.name}" is a built-in agent`]);
    let agent: Agent;
    if (definition.kind === 'conversational') {
      agent = offlineAgents.get(definition.name)!;
    } else {
      const missing = missingVariables(definition, config);
      if (missing.length > 0) {
        const needs = `${missing.map((name) => hint(name, config)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`;
        const standIn = definition.withoutKeys === 'fallback' && definition.fallback !== undefined ? offlineAgents.get(definition.fallback) : undefined;
        if (standIn) {
          warn(`agent "${definition.name}" (${file}) runs offline as "${definition.fallback}": ${needs}`);
          catalog.add(standIn, definition.name);
          routeAgent(catalog, definition, file);
          continue;
        }
        if (defaultAgent === definition.name) throw new ConfigError(`invalid configuration: DEFAULT_AGENT: agent "${definition.name}" (${file}) cannot start: ${needs}`);
        warn(`agent "${definition.name}" (${file}) skipped: ${needs}`);
        continue;
      }
      agent = withLanguages(createCloudAgent(definition, { config, file, speech: speech!, offline, warn, scheduler: options.scheduler }), definition);
    }
    catalog.add(agent);
    routeAgent(catalog, definition, file);
  }
  try {
    if (defaultAgent) catalog.setDefault(defaultAgent);
  } catch (err) {
    throw new ConfigError(`invalid configuration: DEFAULT_AGENT: ${(err as Error).message}`);
  }
  return catalog;
}

/** Calls the definition's routes name go to it. */
function routeAgent(catalog: AgentCatalog, definition: AnyAgentDefinition, file: string): void {
  try {
    for (const value of definition.routing.customFields) catalog.routeCustomField(value, definition.name);
    for (const number of definition.routing.numbers) catalog.routeNumber(number, definition.name);
  } catch (err) {
    throw new AgentDefinitionError(file, [`routing: ${(err as Error).message}`]);
  }
}

/** The LLM key falls back on OpenAI's while the LLM is OpenAI's: say so. */
function hint(name: string, config: ProviderConfig): string {
  return name === 'LLM_API_KEY' && config.llm.baseUrl === config.openai.baseUrl ? 'LLM_API_KEY (or OPENAI_API_KEY)' : name;
}

/** Compiles grammars and synthesizes fixed prompts of every agent that needs it, at the given call rates. */
export async function prepareAgents(catalog: AgentCatalog, sampleRates: readonly number[]): Promise<void> {
  // An agent standing in under a second name is prepared once.
  const agents = new Set(catalog.names().map((n) => catalog.get(n)).filter(isPrepared));
  await Promise.all([...agents].map((a) => a.prepare(sampleRates)));
}

function isPrepared(agent: Agent | undefined): agent is PreparedAgent {
  return typeof (agent as Partial<PreparedAgent> | undefined)?.prepare === 'function';
}
