// Cloud agents from their definitions: a `cascade` definition becomes createCascadeAgent over Deepgram, an
// OpenAI-compatible LLM and a cloud (or offline) voice; a `realtime` definition becomes the OpenAI Realtime bridge.
// Both get the definition's HTTP tools and built-ins, and the offline agent named in `fallback` for when the cloud
// fails for good.
import type { Scheduler } from '../../clock/scheduler.js';
import { HTTP_SCHEMES, type ProviderConfig } from '../../config/providers.js';
import type { VoiceSpec } from '../../conversation/voice-bank.js';
import { createCascadeAgent } from '../kinds/cascade.js';
import type { OfflineAgent } from '../kinds/offline.js';
import type { PreparedAgent } from '../kinds/preparation.js';
import { turnTakingConfig } from '../kinds/offline.js';
import type { SpeechProviders } from './offline-providers.js';
import { failureMode, type CascadeDefinition, type CloudAgentDefinition, type RealtimeDefinition } from '../definition/cloud-schema.js';
import { DefinitionEnv, createCascadeVoice, createLanguageModel, createStreamingStt, realtimeEndpoint } from './cloud-providers.js';
import { createRealtimeAgentWithFallback } from '../kinds/realtime-fallback.js';
import { createHttpTool } from '../tools/http-tool.js';
import type { AgentTool } from '../tools/types.js';

export const DEFAULT_APOLOGY = "Sorry, I'm having some trouble on my side.";
export const DEFAULT_HANDOVER = 'Let me connect you to a colleague.';
/** Speaks the failure lines of a cloud agent without a fallback agent. */
const OFFLINE_VOICE: VoiceSpec = { provider: 'flite', voice: 'slt' };
/** A tool's own time-out plus this is the most the agent waits for it. */
const TOOL_MARGIN_MS = 1000;
const MIN_TOOL_WAIT_MS = 10_000;

export interface CloudAgentDeps {
  config: ProviderConfig;
  /** The definition's file, for errors. */
  file: string;
  /** The offline engines: failure lines, offline voices, the fallback's recogniser. */
  speech: SpeechProviders;
  /** Conversational agents by name: `fallback` names one. */
  offline: ReadonlyMap<string, OfflineAgent>;
  /** Start-up notes (a tool left out). */
  warn: (message: string) => void;
  scheduler?: Scheduler;
}

export interface CloudTools {
  tools: AgentTool[];
  builtins: { endCall: boolean; transfer: boolean };
  /** The longest an agent should wait for any of them. */
  waitMs: number;
}

/** The definition's tools. An HTTP tool whose URL variable is unset is left out (with a warning), not the agent. */
export function buildTools(def: CloudAgentDefinition, env: DefinitionEnv, warn: (message: string) => void): CloudTools {
  const tools: AgentTool[] = [];
  let waitMs = MIN_TOOL_WAIT_MS;
  def.tools.forEach((tool, i) => {
    if (typeof tool === 'string') return;
    let url = tool.url;
    if (tool.urlEnv !== undefined) {
      if (env.value(tool.urlEnv) === undefined) {
        warn(`agent "${def.name}" (${env.file}): tool ${tool.name} left out: ${tool.urlEnv} is not set`);
        return;
      }
      url = env.url(tool.urlEnv, `tools[${i}].urlEnv`, HTTP_SCHEMES);
    }
    const headers: Record<string, string> = { ...tool.headers };
    for (const [header, name] of Object.entries(tool.headersFromEnv)) {
      const value = env.value(name);
      if (value === undefined) warn(`agent "${def.name}" (${env.file}): tool ${tool.name} is sent without ${header}: ${name} is not set`);
      else headers[header] = value;
    }
    tools.push(
      createHttpTool({
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
        method: tool.method,
        url: url!,
        headers,
        timeoutMs: tool.timeoutMs,
        filler: tool.filler,
        fillerAfterMs: tool.fillerAfterMs,
      }),
    );
    waitMs = Math.max(waitMs, tool.timeoutMs + TOOL_MARGIN_MS);
  });
  return { tools, builtins: { endCall: def.tools.includes('end_call'), transfer: def.tools.includes('transfer') }, waitMs };
}

/** The agent a cloud definition describes. Assumes its required variables are set (see `missingVariables`). */
export function createCloudAgent(def: CloudAgentDefinition, deps: CloudAgentDeps): PreparedAgent {
  const env = new DefinitionEnv(deps.config, deps.file);
  const fallback = def.fallback === undefined ? undefined : deps.offline.get(def.fallback);
  if (def.fallback !== undefined && !fallback) throw new Error(`${deps.file}: fallback agent "${def.fallback}" was not created`);
  return def.kind === 'cascade' ? cascadeAgent(def, env, deps, fallback) : realtimeAgent(def, env, deps, fallback);
}

function cascadeAgent(def: CascadeDefinition, env: DefinitionEnv, deps: CloudAgentDeps, fallback: OfflineAgent | undefined): PreparedAgent {
  const { tools, builtins, waitMs } = buildTools(def, env, deps.warn);
  const { tts, voice } = createCascadeVoice(def.voice, env, deps.speech, def.language);
  const mode = failureMode(def);
  return createCascadeAgent({
    name: def.name,
    systemPrompt: def.systemPrompt,
    greeting: def.greeting,
    stt: createStreamingStt(def.stt, env),
    llm: createLanguageModel(def.brain, env),
    tts,
    voice,
    language: def.language,
    keywords: def.stt.provider === 'deepgram' ? def.stt.keywords : undefined,
    tools,
    builtins,
    prompts: {
      ...def.prompts,
      idle: def.idle?.prompts,
      idleGoodbye: def.idle?.goodbye,
      maxDurationWrapUp: def.limits?.wrapUp,
    },
    fallback: {
      voices: deps.speech.voices,
      voice: fallback ? { ...fallback.definition.voice, language: fallback.definition.language } : OFFLINE_VOICE,
      ...(mode === 'fallback' && fallback ? { brain: fallback.brain, stt: deps.speech.stt(fallback.definition.stt) } : {}),
    },
    onFailure: mode,
    turnTaking: turnTakingConfig(def.turnTaking, def.idle, def.limits),
    vad: { ...def.turnTaking.vad },
    timeouts: { ...def.timeouts, toolMs: waitMs },
    temperature: def.brain.temperature,
    maxTokens: def.brain.maxTokens,
    maxHistory: def.brain.maxHistory,
    languageMenu: def.languageMenu,
    detectLanguage: def.detectLanguage,
    scheduler: deps.scheduler,
  });
}

function realtimeAgent(def: RealtimeDefinition, env: DefinitionEnv, deps: CloudAgentDeps, fallback: OfflineAgent | undefined): PreparedAgent {
  const { tools, builtins, waitMs } = buildTools(def, env, deps.warn);
  const spec = def.realtime;
  return createRealtimeAgentWithFallback({
    realtime: {
      name: def.name,
      ...realtimeEndpoint(spec, env),
      model: spec.model,
      protocol: spec.protocol,
      instructions: def.systemPrompt,
      voice: spec.voice,
      greeting: def.greeting === undefined ? undefined : `Greet the caller by saying exactly this, then wait for them to answer: "${def.greeting}"`,
      turnDetection: spec.turnDetection,
      serverVad: spec.vad,
      localHangoverMs: spec.localHangoverMs,
      transcriptionModel: spec.transcriptionModel,
      // The transcription model takes ISO-639-1 (`en`, `hi`).
      language: def.language.split('-')[0],
      tools,
      builtins,
      toolTimeoutMs: waitMs,
      maxSessionMs: spec.maxSessionMs,
    },
    mode: failureMode(def),
    agent: fallback,
    voices: deps.speech.voices,
    voice: fallback ? { ...fallback.definition.voice, language: fallback.definition.language } : OFFLINE_VOICE,
    apology: def.prompts.apology ?? DEFAULT_APOLOGY,
    handover: def.prompts.handover ?? DEFAULT_HANDOVER,
  });
}
