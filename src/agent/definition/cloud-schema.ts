// Definitions of cloud agents, and the union of every kind a definition file can be:
//   kind: conversational (default) the offline agent (definition.ts);
//   kind: cascade                  streaming STT -> LLM (with tools) -> streaming TTS;
//   kind: realtime                 a speech-to-speech model (OpenAI Realtime).
// Providers are discriminated unions on `provider`, so new ones join without changing the others. Secrets and
// endpoints are never written in a definition: it names the environment variables that hold them
// (`apiKeyEnv: DEEPGRAM_API_KEY`), so definition files can be committed and shared.
import { z } from 'zod';
import { ENV_NAME } from '../../config/providers.js';
import { agentDefinitionSchema, agentName, checkLanguages, idleSchema, languageMenuSchema, languagesSchema, languageTag, limitsSchema, ms, routingSchema, text, ttsSchema, turnTakingSchema } from './schema.js';
import { BUILTIN_TOOL_NAMES, isBuiltinTool } from '../tools/builtin-tools.js';
import { parametersSchema } from '../tools/json-schema.js';
import { SAARAS_V3_EXTRA_LANGUAGES, SARVAM_LANGUAGES, sarvamLanguage } from '../../providers/sarvam-api.js';

export const envName = z.string().regex(ENV_NAME, 'must be the NAME of an environment variable (A-Z, 0-9, _), not its value');

/** A discriminated union whose error for an unknown discriminator lists the known values. */
function oneOf<const T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(key: string, names: readonly string[], options: T) {
  return z.discriminatedUnion(key, options, {
    error: (issue) => (issue.code === 'invalid_union' ? `must be ${names.length > 1 ? `one of ${names.join(', ')}` : names[0]}` : undefined),
  });
}

// ---- speech recognition ---------------------------------------------------------------------

export const deepgramSttSchema = z.strictObject({
  provider: z.literal('deepgram'),
  /** Default nova-3 (Nova-3 takes `keywords` as key terms). */
  model: text.default('nova-3'),
  /** Default: the agent's language. `multi` for code-switching (Hindi-English) on nova-3. */
  language: z.union([languageTag, z.literal('multi')]).optional(),
  /** Silence after which Deepgram marks a result speech_final; false turns it off. Default 300. */
  endpointingMs: z.union([ms(10_000).min(10), z.literal(false)]).default(300),
  /** Gap after the last word before Deepgram sends UtteranceEnd (at least 1000); false turns it off. Default 1000. */
  utteranceEndMs: z.union([ms(10_000).min(1000, 'must be at least 1000 (Deepgram)'), z.literal(false)]).default(1000),
  smartFormat: z.boolean().default(true),
  /** Words and phrases to favour: product names, the shop's name. */
  keywords: z.array(text).max(100).default([]),
  apiKeyEnv: envName.default('DEEPGRAM_API_KEY'),
  baseUrlEnv: envName.default('DEEPGRAM_BASE_URL'),
});
/** Sarvam AI's streaming recogniser (wss://api.sarvam.ai/speech-to-text/ws). */
export const sarvamSttSchema = z
  .strictObject({
    provider: z.literal('sarvam'),
    /**
     * saaras:v3 (default: 22 languages, modes), saaras:v4 (newer pages of the docs: the same languages and modes) or
     * saarika:v2.5 (11 languages, transcription only).
     */
    model: z.enum(['saaras:v3', 'saaras:v4', 'saarika:v2.5']).default('saaras:v3'),
    /** Default: the agent's language. `unknown`: Sarvam detects it, and each final transcript says which it heard. */
    language: z.union([languageTag, z.literal('unknown')]).optional(),
    /**
     * saaras only. transcribe (default): the spoken language in its script; translate: English text; verbatim: word
     * for word, fillers kept; translit: romanised; codemix: Indic words in their script, English words in Latin.
     */
    mode: z.enum(['transcribe', 'translate', 'verbatim', 'translit', 'codemix']).optional(),
    /** Sarvam's more sensitive speech detection (quiet lines, soft speakers). */
    highVadSensitivity: z.boolean().default(false),
    apiKeyEnv: envName.default('SARVAM_API_KEY'),
    baseUrlEnv: envName.default('SARVAM_BASE_URL'),
  })
  .refine((v) => !(v.mode && v.model === 'saarika:v2.5'), { path: ['mode'], message: 'needs a saaras model (saarika:v2.5 only transcribes)' });
export const streamingSttSchema = oneOf('provider', ['deepgram', 'sarvam'], [deepgramSttSchema, sarvamSttSchema]);
export type StreamingSttSpec = z.infer<typeof streamingSttSchema>;

// ---- language models ------------------------------------------------------------------------

const headerName = z.string().regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name');

export const llmBrainSchema = z.strictObject({
  /** Any OpenAI-compatible chat completions endpoint (OpenAI, Azure, Groq, OpenRouter, vLLM, Ollama, ...). */
  provider: z.literal('llm'),
  /** Default: LLM_MODEL (gpt-4o-mini when unset). */
  model: text.optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(16_384).optional(),
  /**
   * The request field `maxTokens` goes in. Default: max_completion_tokens for api.openai.com and api.groq.com (their
   * max_tokens is deprecated; OpenAI's reasoning models refuse it), max_tokens for other endpoints.
   */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  /** Conversation lines sent to the model (oldest dropped first). */
  maxHistory: z.number().int().min(2).max(500).optional(),
  /** API root, or the whole chat URL when it ends in /chat/completions (Azure deployments). */
  baseUrlEnv: envName.default('LLM_BASE_URL'),
  /** null: send no key (a local server without authentication). */
  apiKeyEnv: envName.nullable().default('LLM_API_KEY'),
  /** Header that carries the key: authorization (as Bearer, default) or e.g. api-key (Azure). */
  apiKeyHeader: headerName.optional(),
  /** Extra headers whose values come from environment variables (OpenRouter's HTTP-Referer, a proxy's token). */
  headersFromEnv: z.record(headerName, envName).default({}),
});
export const brainSchema = oneOf('provider', ['llm'], [llmBrainSchema]);
export type BrainSpec = z.infer<typeof brainSchema>;

// ---- speech synthesis -----------------------------------------------------------------------

const unit = z.number().min(0).max(1);

export const elevenLabsTtsSchema = z.strictObject({
  provider: z.literal('elevenlabs'),
  /** An ElevenLabs voice_id (from the voice library or your account). */
  voiceId: text,
  /** Default eleven_flash_v2_5 (lowest latency, multilingual). */
  model: text.default('eleven_flash_v2_5'),
  stability: unit.optional(),
  similarityBoost: unit.optional(),
  style: unit.optional(),
  useSpeakerBoost: z.boolean().optional(),
  speed: z.number().min(0.7).max(1.2).optional(),
  optimizeStreamingLatency: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional(),
  /** pcm (default): PCM16 at the call rate; ulaw_8000/alaw_8000: half the bytes on 8 kHz calls. */
  encoding: z.enum(['pcm', 'ulaw_8000', 'alaw_8000']).default('pcm'),
  applyTextNormalization: z.enum(['auto', 'on', 'off']).optional(),
  apiKeyEnv: envName.default('ELEVENLABS_API_KEY'),
  baseUrlEnv: envName.default('ELEVENLABS_BASE_URL'),
});

export const openAiTtsSchema = z
  .strictObject({
    provider: z.literal('openai'),
    /** A built-in voice (alloy, ash, ballad, coral, echo, fable, nova, onyx, sage, shimmer, verse, marin, cedar). */
    voice: text.default('alloy'),
    /** Default gpt-4o-mini-tts. */
    model: text.default('gpt-4o-mini-tts'),
    /** How to speak (tone, pace, accent); not for tts-1 / tts-1-hd. */
    instructions: text.max(4096).optional(),
    speed: z.number().min(0.25).max(4).optional(),
    apiKeyEnv: envName.default('OPENAI_API_KEY'),
    baseUrlEnv: envName.default('OPENAI_BASE_URL'),
  })
  .refine((v) => !(v.instructions && /^tts-1(-hd)?$/.test(v.model)), { path: ['instructions'], message: 'is not supported by tts-1 / tts-1-hd' });

/** Sarvam AI's Bulbul voices (POST /text-to-speech/stream). */
export const sarvamTtsSchema = z
  .strictObject({
    provider: z.literal('sarvam'),
    /** bulbul:v3 (default) or bulbul:v2. */
    model: z.enum(['bulbul:v3', 'bulbul:v2']).default('bulbul:v3'),
    /** A Bulbul speaker. Default shubh on bulbul:v3 (kavya, aditya, ritu, priya, rahul, ...), anushka on bulbul:v2. */
    speaker: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a speaker name like shubh').optional(),
    /** Default: the agent's language (hi-IN, ta-IN, ...; Sarvam speaks 11 Indian languages and en-IN). */
    language: languageTag.optional(),
    /** Speaking rate: bulbul:v3 0.5-2, bulbul:v2 0.3-3. Default 1. */
    pace: z.number().min(0.3).max(3).optional(),
    /** bulbul:v3: 0.01-1, how varied the delivery is. */
    temperature: z.number().min(0.01).max(1).optional(),
    /** bulbul:v2 only. */
    pitch: z.number().min(-0.75).max(0.75).optional(),
    loudness: z.number().min(0.3).max(3).optional(),
    apiKeyEnv: envName.default('SARVAM_API_KEY'),
    baseUrlEnv: envName.default('SARVAM_BASE_URL'),
  })
  .superRefine((v, ctx) => {
    const v2 = v.model === 'bulbul:v2';
    if (v.pace !== undefined && !v2 && (v.pace < 0.5 || v.pace > 2)) ctx.addIssue({ code: 'custom', path: ['pace'], message: 'must be 0.5-2 for bulbul:v3' });
    for (const field of ['pitch', 'loudness'] as const) {
      if (v[field] !== undefined && !v2) ctx.addIssue({ code: 'custom', path: [field], message: 'is bulbul:v2 only' });
    }
    if (v.temperature !== undefined && v2) ctx.addIssue({ code: 'custom', path: ['temperature'], message: 'is bulbul:v3 only' });
  });

/** A cascade agent's voice: a cloud voice, or an offline one. */
export const cascadeVoiceSchema = oneOf('provider', ['elevenlabs', 'openai', 'sarvam', 'flite', 'espeak'], [elevenLabsTtsSchema, openAiTtsSchema, sarvamTtsSchema, ...ttsSchema.options]);
export type CascadeVoiceSpec = z.infer<typeof cascadeVoiceSchema>;

// ---- speech-to-speech ------------------------------------------------------------------------

export const openAiRealtimeSchema = z
  .strictObject({
    provider: z.literal('openai'),
    /** Default gpt-realtime. */
    model: text.default('gpt-realtime'),
    /** The provider's default voice when absent (marin and cedar are the newest). */
    voice: text.optional(),
    /** ga (default) or beta (the pre-GA event shapes, `OpenAI-Beta: realtime=v1`). */
    protocol: z.enum(['ga', 'beta']).default('ga'),
    /** server: the provider's VAD ends turns (default); local: ours does, and asks for each answer. */
    turnDetection: z.enum(['server', 'local']).default('server'),
    /** Server VAD tuning. */
    vad: z.strictObject({ threshold: unit, prefixPaddingMs: ms(2000), silenceDurationMs: ms(5000) }).partial().optional(),
    /** Local VAD: the silence that ends the caller's turn. */
    localHangoverMs: ms(5000).min(100).optional(),
    /** Transcribes the caller for the call record; null turns it off. */
    transcriptionModel: text.nullable().optional(),
    /** Rotate sessions before this limit (the provider's: 60 minutes). */
    maxSessionMs: ms(4 * 3_600_000).min(60_000).optional(),
    apiKeyEnv: envName.default('OPENAI_API_KEY'),
    baseUrlEnv: envName.default('OPENAI_BASE_URL'),
  })
  .superRefine((v, ctx) => {
    if (v.vad && v.turnDetection === 'local') ctx.addIssue({ code: 'custom', path: ['vad'], message: 'tunes the server VAD; with turnDetection: local use localHangoverMs' });
    if (v.localHangoverMs !== undefined && v.turnDetection !== 'local') ctx.addIssue({ code: 'custom', path: ['localHangoverMs'], message: 'needs turnDetection: local' });
  });
export const realtimeProviderSchema = oneOf('provider', ['openai'], [openAiRealtimeSchema]);
export type RealtimeProviderSpec = z.infer<typeof realtimeProviderSchema>;

// ---- tools ----------------------------------------------------------------------------------

/** Header names that carry credentials: their values must come from the environment. */
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie|password/i;

export const httpToolSchema = z
  .strictObject({
    /** The function name the model calls. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    /** What the tool does and when to use it: the model decides from this. */
    description: text,
    /** JSON Schema (type: object) of the arguments; checked before the request is sent. */
    parameters: parametersSchema.default({ type: 'object', properties: {} }),
    /** GET sends the arguments as query parameters; POST/PUT/PATCH as a JSON body. */
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH']).default('POST'),
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/i, 'must be an absolute http(s):// URL')
      .optional(),
    /** The variable that holds the URL (set it per deployment; a URL with a token in it stays out of the file). */
    urlEnv: envName.optional(),
    /** Plain headers (no credentials: those go in headersFromEnv). */
    headers: z.record(headerName, z.string()).default({}),
    /** Headers whose values come from environment variables: `{ Authorization: CRM_TOKEN }`. */
    headersFromEnv: z.record(headerName, envName).default({}),
    timeoutMs: ms(60_000).min(100).default(5000),
    /** Said while the tool runs, once it has taken `fillerAfterMs` ("One moment, let me check."). */
    filler: text.optional(),
    fillerAfterMs: ms(10_000).optional(),
  })
  .superRefine((t, ctx) => {
    if ((t.url === undefined) === (t.urlEnv === undefined)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of url and urlEnv' });
    if (isBuiltinTool(t.name)) ctx.addIssue({ code: 'custom', path: ['name'], message: `"${t.name}" is a built-in tool: list it as "- ${t.name}"` });
    for (const header of Object.keys(t.headers)) {
      if (SECRET_HEADER.test(header)) ctx.addIssue({ code: 'custom', path: ['headers', header], message: `looks like a credential: use headersFromEnv: { ${header}: SOME_VARIABLE }` });
    }
  });
export type HttpToolSpec = z.infer<typeof httpToolSchema>;

const builtinToolSchema = z.enum(BUILTIN_TOOL_NAMES, { error: () => `must be ${BUILTIN_TOOL_NAMES.join(' or ')}, or an HTTP tool { name, description, url, ... }` });

/**
 * A built-in tool by name, or an HTTP webhook tool. Routed by the input's type rather than a plain union, so a
 * broken HTTP tool gets its own field's message instead of "matches neither".
 */
export const toolSchema = z.unknown().transform((input, ctx): z.infer<typeof builtinToolSchema> | HttpToolSpec => {
  const parsed = typeof input === 'string' ? builtinToolSchema.safeParse(input) : httpToolSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: undefined } as z.core.$ZodRawIssue);
  return z.NEVER;
});
export type ToolDefinition = z.output<typeof toolSchema>;

// ---- the cloud kinds ------------------------------------------------------------------------

const cloudCommon = {
  name: agentName,
  description: text.optional(),
  /** Said before the greeting when calls are recorded (RECORD_CALLS=on), e.g. "This call is recorded." */
  recordingNotice: text.optional(),
  /** BCP-47 tag of what the agent speaks (en-IN, hi-IN): STT and TTS language. */
  language: languageTag,
  /** The model's instructions: who it is, what it may do, how it speaks. */
  systemPrompt: text,
  routing: routingSchema,
  /** end_call, transfer, and HTTP webhook tools. */
  tools: z.array(toolSchema).default([]),
  /**
   * When a cloud provider fails for good (after one retry where that is safe): `fallback` continues the call with
   * the offline agent named in `fallback`, `transfer` apologises and hands the caller to the flow's next applet.
   * Default: fallback when `fallback` is set, else transfer.
   */
  onFailure: z.enum(['fallback', 'transfer']).optional(),
  /** A conversational (offline) agent whose brain, recogniser and voice take over when the cloud fails. */
  fallback: agentName.optional(),
  /**
   * Without its keys the agent is skipped (default), or `fallback`: the fallback agent answers under this agent's
   * name and routes (a start-up warning says so), so callers routed here are still served in their language.
   */
  withoutKeys: z.enum(['skip', 'fallback']).default('skip'),
};

function checkCloud(def: { tools: ToolDefinition[]; onFailure?: string; fallback?: string; name: string; withoutKeys: string }, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  def.tools.forEach((tool, i) => {
    const name = typeof tool === 'string' ? tool : tool.name;
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['tools', i], message: `duplicate tool "${name}"` });
    seen.add(name);
  });
  if (def.onFailure === 'fallback' && !def.fallback) ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'is required with onFailure: fallback (name an offline agent, e.g. front-desk)' });
  if (def.fallback === def.name) ctx.addIssue({ code: 'custom', path: ['fallback'], message: 'must name another agent' });
  if (def.withoutKeys === 'fallback' && !def.fallback) ctx.addIssue({ code: 'custom', path: ['withoutKeys'], message: 'fallback needs a fallback agent' });
}

export const cascadeDefinitionSchema = z
  .strictObject({
    kind: z.literal('cascade'),
    ...cloudCommon,
    /** Said when the call starts (synthesized once at start-up). */
    greeting: text,
    stt: streamingSttSchema,
    brain: brainSchema,
    voice: cascadeVoiceSchema,
    turnTaking: turnTakingSchema.default({}),
    idle: idleSchema.optional(),
    limits: limitsSchema.optional(),
    /** Lines the agent says itself rather than the model (each has a default). */
    prompts: z
      .strictObject({
        /** After a provider failed for good. */
        apology: text,
        /** Before handing the caller over after a failure. */
        handover: text,
        /** end_call without a goodbye from the model. */
        goodbye: text,
        /** transfer without a line from the model. */
        transfer: text,
        /** When the recogniser heard nothing it could transcribe. */
        notUnderstood: text,
        /** Said while a slow tool runs, unless the tool has its own filler. */
        filler: text,
      })
      .partial()
      .default({}),
    /** As for conversational agents; the menu's keys switch when pressed first (order numbers are said, not typed). */
    languages: languagesSchema,
    languageMenu: languageMenuSchema,
    /**
     * Languages (of `languages`) a caller turn the recogniser detected in switches to, after the first turn: the
     * agent of that language answers it. Needs a recogniser that detects the language (Sarvam's).
     */
    detectLanguage: z.array(languageTag).default([]),
    timeouts: z
      .strictObject({
        finalTranscriptMs: ms(5000),
        llmFirstTokenMs: ms(60_000).min(100),
        ttsFirstByteMs: ms(60_000).min(100),
        /** Default for tools' own time-outs is their `timeoutMs`. */
        fillerAfterMs: ms(10_000),
      })
      .partial()
      .default({}),
  })
  .superRefine((def, ctx) => {
    checkCloud(def, ctx);
    checkSarvamLanguages(def, ctx);
    checkLanguages(def, ctx);
    def.detectLanguage.forEach((tag, i) => {
      if (!(tag in def.languages)) ctx.addIssue({ code: 'custom', path: ['detectLanguage', i], message: `"${tag}" is not one of languages` });
    });
  });
export type CascadeDefinition = z.infer<typeof cascadeDefinitionSchema>;

/** Sarvam speaks and hears Indian languages only: the language each Sarvam part would use must be one of them. */
function checkSarvamLanguages(def: { language: string; stt: StreamingSttSpec; voice: CascadeVoiceSpec }, ctx: z.RefinementCtx): void {
  const check = (tag: string, supported: readonly string[], path: (string | number)[]) => {
    if (!sarvamLanguage(tag, supported)) ctx.addIssue({ code: 'custom', path, message: `Sarvam has no language "${tag}" (it takes ${supported.join(', ')})` });
  };
  if (def.stt.provider === 'sarvam' && def.stt.language !== 'unknown') {
    const supported = def.stt.model.startsWith('saaras') ? [...SARVAM_LANGUAGES, ...SAARAS_V3_EXTRA_LANGUAGES] : SARVAM_LANGUAGES;
    check(def.stt.language ?? def.language, supported, def.stt.language ? ['stt', 'language'] : ['language']);
  }
  if (def.voice.provider === 'sarvam') check(def.voice.language ?? def.language, SARVAM_LANGUAGES, def.voice.language ? ['voice', 'language'] : ['language']);
}

export const realtimeDefinitionSchema = z
  .strictObject({
    kind: z.literal('realtime'),
    ...cloudCommon,
    /** What the agent says first, word for word; without it the agent waits for the caller. */
    greeting: text.optional(),
    realtime: realtimeProviderSchema,
    /** Said in the fallback agent's voice after the cloud failed for good. */
    prompts: z
      .strictObject({
        /** Before the fallback agent takes over. */
        apology: text,
        /** Before handing the caller over (onFailure: transfer). */
        handover: text,
      })
      .partial()
      .default({}),
  })
  .superRefine(checkCloud);
export type RealtimeDefinition = z.infer<typeof realtimeDefinitionSchema>;

/** Every kind of definition file. A file without `kind` is conversational. */
export const anyAgentDefinitionSchema = oneOf('kind', ['conversational', 'cascade', 'realtime'], [agentDefinitionSchema, cascadeDefinitionSchema, realtimeDefinitionSchema]);
export type AnyAgentDefinition = z.infer<typeof anyAgentDefinitionSchema>;
export type CloudAgentDefinition = CascadeDefinition | RealtimeDefinition;

/** What the agent does when its cloud providers fail for good. */
export function failureMode(def: CloudAgentDefinition): 'fallback' | 'transfer' {
  return def.onFailure ?? (def.fallback ? 'fallback' : 'transfer');
}
