// Cloud provider adapters built from a definition's provider specs: the variables a spec names are read through the
// provider configuration (defaults and fallbacks of the standard ones), checked, and handed to the adapters as
// constructor options. Nothing here logs or echoes a key.
import { ConfigError } from '../../config/env.js';
import { HTTP_SCHEMES, WS_SCHEMES, baseUrlProblem, hasDefault, type ProviderConfig } from '../../config/providers.js';
import { OpenAICompatibleLanguageModel } from '../../providers/llm/openai-compatible.js';
import { DeepgramSpeechToText } from '../../providers/stt/deepgram.js';
import { SarvamSpeechToText } from '../../providers/stt/sarvam.js';
import { createElevenLabsTts, type ElevenLabsVoiceSettings } from '../../providers/tts/elevenlabs.js';
import { createOpenAiTts } from '../../providers/tts/openai-speech.js';
import { createSarvamTts } from '../../providers/tts/sarvam.js';
import type { LanguageModel, StreamingSpeechToText, SttStream, SttStreamOptions, TextToSpeech } from '../../providers/types.js';
import type { SpeechProviders } from './offline-providers.js';
import type { BrainSpec, CascadeVoiceSpec, CloudAgentDefinition, RealtimeProviderSpec, StreamingSttSpec } from '../definition/cloud-schema.js';

/** A variable a definition names, and what for. */
export interface VariableRef {
  name: string;
  /** Where in the definition, e.g. `stt.apiKeyEnv`. */
  field: string;
  /** Keys and endpoints the agent cannot work without; a missing tool URL only drops the tool. */
  required: boolean;
}

/** Every variable a cloud definition names. */
export function variableRefs(def: CloudAgentDefinition): VariableRef[] {
  const refs: VariableRef[] = [];
  const add = (name: string | null | undefined, field: string, required = true) => void (name && refs.push({ name, field, required }));
  if (def.kind === 'cascade') {
    add(def.stt.apiKeyEnv, 'stt.apiKeyEnv');
    add(def.stt.baseUrlEnv, 'stt.baseUrlEnv');
    add(def.brain.apiKeyEnv, 'brain.apiKeyEnv');
    add(def.brain.baseUrlEnv, 'brain.baseUrlEnv');
    for (const [header, name] of Object.entries(def.brain.headersFromEnv)) add(name, `brain.headersFromEnv.${header}`);
    if (def.voice.provider === 'elevenlabs' || def.voice.provider === 'openai' || def.voice.provider === 'sarvam') {
      add(def.voice.apiKeyEnv, 'voice.apiKeyEnv');
      add(def.voice.baseUrlEnv, 'voice.baseUrlEnv');
    }
  } else {
    add(def.realtime.apiKeyEnv, 'realtime.apiKeyEnv');
    add(def.realtime.baseUrlEnv, 'realtime.baseUrlEnv');
  }
  def.tools.forEach((tool, i) => {
    if (typeof tool === 'string') return;
    add(tool.urlEnv, `tools[${i}].urlEnv`, false);
    for (const [header, name] of Object.entries(tool.headersFromEnv)) add(name, `tools[${i}].headersFromEnv.${header}`, false);
  });
  return refs;
}

/** Required variables that are not set (each once, in definition order). */
export function missingVariables(def: CloudAgentDefinition, config: ProviderConfig): string[] {
  const missing = variableRefs(def)
    .filter((r) => r.required && !hasDefault(r.name) && config.lookup(r.name) === undefined)
    .map((r) => r.name);
  return [...new Set(missing)];
}

/** Reads the variables one definition names; errors name the variable and the definition's file and field. */
export class DefinitionEnv {
  constructor(
    readonly config: ProviderConfig,
    readonly file: string,
  ) {}

  /** A variable's value; undefined when unset. */
  value(name: string): string | undefined {
    return this.config.lookup(name);
  }

  /** A variable that must be set (the agent would have been skipped otherwise). */
  required(name: string, field: string): string {
    const v = this.config.lookup(name);
    if (v === undefined) throw new ConfigError(`invalid configuration: ${name} (${field} of ${this.file}) is not set`);
    return v;
  }

  /** A base URL variable, checked like the standard ones (they are checked already). */
  url(name: string, field: string, schemes: readonly string[]): string {
    const v = this.required(name, field);
    const problem = baseUrlProblem(v, schemes);
    if (problem) throw new ConfigError(`invalid configuration: ${name} (${field} of ${this.file}): ${problem}`);
    return v.replace(/\/+$/, '');
  }
}

/**
 * The recogniser, listening in `language` (the agent's, unless the spec names another: Deepgram's `multi`, Sarvam's
 * `unknown` for detection).
 */
export function createStreamingStt(spec: StreamingSttSpec, env: DefinitionEnv): StreamingSpeechToText {
  if (spec.provider === 'sarvam') {
    return new SarvamSpeechToText({
      apiKey: env.required(spec.apiKeyEnv, 'stt.apiKeyEnv'),
      baseUrl: env.url(spec.baseUrlEnv, 'stt.baseUrlEnv', WS_SCHEMES),
      model: spec.model,
      mode: spec.mode,
      language: spec.language,
      highVadSensitivity: spec.highVadSensitivity,
    });
  }
  const stt = new DeepgramSpeechToText({
    apiKey: env.required(spec.apiKeyEnv, 'stt.apiKeyEnv'),
    baseUrl: env.url(spec.baseUrlEnv, 'stt.baseUrlEnv', WS_SCHEMES),
    model: spec.model,
    endpointingMs: spec.endpointingMs,
    utteranceEndMs: spec.utteranceEndMs,
    smartFormat: spec.smartFormat,
  });
  return spec.language === undefined ? stt : listeningIn(stt, spec.language);
}

/** The agent speaks one language, the recogniser listens for another (Deepgram's `multi` for Hindi-English). */
function listeningIn(stt: DeepgramSpeechToText, language: string): StreamingSpeechToText & { connect(options: SttStreamOptions): SttStream } {
  return {
    name: stt.name,
    open: (options) => stt.open({ ...options, language }),
    connect: (options) => stt.connect({ ...options, language }),
  };
}

/** Any OpenAI-compatible chat endpoint; a base URL ending in /chat/completions is used as the whole URL (Azure). */
export function createLanguageModel(spec: BrainSpec, env: DefinitionEnv): LanguageModel {
  const base = env.url(spec.baseUrlEnv, 'brain.baseUrlEnv', HTTP_SCHEMES);
  const whole = /\/chat\/completions$/.test(new URL(base).pathname);
  const headers: Record<string, string> = {};
  for (const [header, name] of Object.entries(spec.headersFromEnv)) headers[header] = env.required(name, `brain.headersFromEnv.${header}`);
  return new OpenAICompatibleLanguageModel({
    ...(whole ? { url: base } : { baseUrl: base }),
    apiKey: spec.apiKeyEnv === null ? undefined : env.required(spec.apiKeyEnv, 'brain.apiKeyEnv'),
    apiKeyHeader: spec.apiKeyHeader,
    model: spec.model ?? env.config.llm.model,
    maxTokensField: spec.maxTokensField,
    headers,
  });
}

/**
 * The cascade's synthesizer and the voice id to ask it for. Offline voices come from the shared engines. `language`
 * (the agent's) is what a voice that needs one speaks unless its spec names another (Sarvam).
 */
export function createCascadeVoice(spec: CascadeVoiceSpec, env: DefinitionEnv, offline: SpeechProviders, language: string): { tts: TextToSpeech; voice: string } {
  switch (spec.provider) {
    case 'elevenlabs': {
      const given = {
        stability: spec.stability,
        similarity_boost: spec.similarityBoost,
        style: spec.style,
        use_speaker_boost: spec.useSpeakerBoost,
        speed: spec.speed,
      };
      // Only what the definition sets: the rest keeps the voice's own settings.
      const settings: ElevenLabsVoiceSettings = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
      const tts = createElevenLabsTts({
        apiKey: env.required(spec.apiKeyEnv, 'voice.apiKeyEnv'),
        baseUrl: env.url(spec.baseUrlEnv, 'voice.baseUrlEnv', HTTP_SCHEMES),
        voices: [spec.voiceId],
        modelId: spec.model,
        voiceSettings: Object.keys(settings).length > 0 ? settings : undefined,
        optimizeStreamingLatency: spec.optimizeStreamingLatency,
        encoding: spec.encoding,
        applyTextNormalization: spec.applyTextNormalization,
      });
      return { tts, voice: spec.voiceId };
    }
    case 'openai': {
      const tts = createOpenAiTts({
        apiKey: env.required(spec.apiKeyEnv, 'voice.apiKeyEnv'),
        baseUrl: env.url(spec.baseUrlEnv, 'voice.baseUrlEnv', HTTP_SCHEMES),
        model: spec.model,
        voices: [spec.voice],
        instructions: spec.instructions,
        speed: spec.speed,
      });
      return { tts, voice: spec.voice };
    }
    case 'sarvam': {
      const speaker = spec.speaker ?? (spec.model === 'bulbul:v2' ? 'anushka' : 'shubh');
      const tts = createSarvamTts({
        apiKey: env.required(spec.apiKeyEnv, 'voice.apiKeyEnv'),
        baseUrl: env.url(spec.baseUrlEnv, 'voice.baseUrlEnv', WS_SCHEMES),
        model: spec.model,
        speakers: [speaker],
        language: spec.language ?? language,
        pace: spec.pace,
        temperature: spec.temperature,
        pitch: spec.pitch,
        loudness: spec.loudness,
      });
      return { tts, voice: speaker };
    }
    case 'flite':
    case 'espeak': {
      const tts = offline.tts.get(spec.provider);
      if (!tts) throw new Error(`no offline synthesizer ${spec.provider}`);
      return { tts, voice: spec.voice };
    }
  }
}

/** Key and REST root of a Realtime session (the adapter derives the WebSocket URL from the root). */
export function realtimeEndpoint(spec: RealtimeProviderSpec, env: DefinitionEnv): { apiKey: string; baseUrl: string } {
  return { apiKey: env.required(spec.apiKeyEnv, 'realtime.apiKeyEnv'), baseUrl: env.url(spec.baseUrlEnv, 'realtime.baseUrlEnv', HTTP_SCHEMES) };
}
