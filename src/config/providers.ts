// Cloud provider settings from the environment: API keys and base URLs of OpenAI (Realtime, speech, chat),
// Deepgram, ElevenLabs, Sarvam AI and any OpenAI-compatible chat endpoint. Agent definitions name these variables
// (`apiKeyEnv: LLM_API_KEY`), never the values, so a definition file can be shared without its secrets.
// Error messages name the variable and never echo a key; URLs are echoed masked.
import { z } from 'zod';
import { maskUrl } from '../observability/redact.js';
import { ConfigError } from './env.js';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_DEEPGRAM_BASE_URL = 'wss://api.deepgram.com';
export const DEFAULT_ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';
export const DEFAULT_SARVAM_BASE_URL = 'https://api.sarvam.ai';
/** A fast, inexpensive OpenAI chat model; `LLM_MODEL` or the definition's `brain.model` overrides it. */
export const DEFAULT_LLM_MODEL = 'gpt-4o-mini';

/** Names an environment variable: what definitions put in `apiKeyEnv`, `baseUrlEnv`, `urlEnv`, `headersFromEnv`. */
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Keys are checked for shape only; the message must not contain the value. */
const apiKey = optional.refine((v) => v === undefined || !/\s/.test(v), { message: 'must not contain spaces or line breaks (a pasting slip?)' });

/** Why `value` is not a usable base URL for `schemes`, or undefined when it is. */
export function baseUrlProblem(value: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute URL (${schemes.join(', ')}), got "${maskUrl(value)}"`;
  }
  if (!schemes.includes(url.protocol.replace(/:$/, ''))) return `must start with ${schemes.map((s) => `${s}://`).join(' or ')}, got "${maskUrl(value)}"`;
  if (url.hash) return `must not have a #fragment, got "${maskUrl(value)}"`;
  return undefined;
}

export const HTTP_SCHEMES = ['https', 'http'] as const;
/** Deepgram takes its WebSocket root directly or as https (the adapter maps https to wss). */
export const WS_SCHEMES = ['wss', 'ws', 'https', 'http'] as const;

const baseUrl = (schemes: readonly string[]) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const problem = baseUrlProblem(v, schemes);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return v.replace(/\/+$/, '');
  });

const schema = z.object({
  OPENAI_API_KEY: apiKey,
  OPENAI_BASE_URL: baseUrl(HTTP_SCHEMES),
  DEEPGRAM_API_KEY: apiKey,
  DEEPGRAM_BASE_URL: baseUrl(WS_SCHEMES),
  ELEVENLABS_API_KEY: apiKey,
  ELEVENLABS_BASE_URL: baseUrl(HTTP_SCHEMES),
  SARVAM_API_KEY: apiKey,
  /** One root for both: the recogniser maps https to wss, the voice wss to https. */
  SARVAM_BASE_URL: baseUrl(WS_SCHEMES),
  LLM_BASE_URL: baseUrl(HTTP_SCHEMES),
  LLM_API_KEY: apiKey,
  LLM_MODEL: optional.refine((v) => v === undefined || !/\s/.test(v), { message: 'must be a model name without spaces' }),
});

/** Every variable this schema reads (the .env.example test checks each is documented). */
export const PROVIDER_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface ProviderConfig {
  openai: {
    apiKey?: string;
    /** REST root; the Realtime WebSocket is `<baseUrl>/realtime` with https -> wss. */
    baseUrl: string;
  };
  deepgram: { apiKey?: string; baseUrl: string };
  elevenlabs: { apiKey?: string; baseUrl: string };
  sarvam: { apiKey?: string; baseUrl: string };
  /** The chat model cascade agents use by default: any OpenAI-compatible endpoint, OpenAI's unless set. */
  llm: { apiKey?: string; baseUrl: string; model: string };
  /**
   * The value of a variable a definition names: the standard ones with their defaults and fallbacks
   * (`LLM_API_KEY` falls back to `OPENAI_API_KEY`, base URLs to the providers' public endpoints),
   * any other name as set in the environment (trimmed; undefined when unset or blank).
   */
  lookup(name: string): string | undefined;
}

/** Variables with a value even when unset. */
const DEFAULTED = new Set(['OPENAI_BASE_URL', 'DEEPGRAM_BASE_URL', 'ELEVENLABS_BASE_URL', 'SARVAM_BASE_URL', 'LLM_BASE_URL', 'LLM_MODEL']);

/** Whether `lookup(name)` can never be undefined (a standard base URL or model). */
export function hasDefault(name: string): boolean {
  return DEFAULTED.has(name);
}

/** Validates the provider variables; throws a ConfigError with one `NAME: problem` per bad variable. */
export function loadProviderConfig(env: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const openaiBase = e.OPENAI_BASE_URL ?? DEFAULT_OPENAI_BASE_URL;
  const standard: Record<string, string | undefined> = {
    OPENAI_API_KEY: e.OPENAI_API_KEY,
    OPENAI_BASE_URL: openaiBase,
    DEEPGRAM_API_KEY: e.DEEPGRAM_API_KEY,
    DEEPGRAM_BASE_URL: e.DEEPGRAM_BASE_URL ?? DEFAULT_DEEPGRAM_BASE_URL,
    ELEVENLABS_API_KEY: e.ELEVENLABS_API_KEY,
    ELEVENLABS_BASE_URL: e.ELEVENLABS_BASE_URL ?? DEFAULT_ELEVENLABS_BASE_URL,
    SARVAM_API_KEY: e.SARVAM_API_KEY,
    SARVAM_BASE_URL: e.SARVAM_BASE_URL ?? DEFAULT_SARVAM_BASE_URL,
    LLM_BASE_URL: e.LLM_BASE_URL ?? openaiBase,
    // Another LLM endpoint never gets the OpenAI key: that would hand the key to a third party.
    LLM_API_KEY: e.LLM_API_KEY ?? (e.LLM_BASE_URL === undefined || e.LLM_BASE_URL === openaiBase ? e.OPENAI_API_KEY : undefined),
    LLM_MODEL: e.LLM_MODEL ?? DEFAULT_LLM_MODEL,
  };
  return {
    openai: { apiKey: standard.OPENAI_API_KEY, baseUrl: openaiBase },
    deepgram: { apiKey: standard.DEEPGRAM_API_KEY, baseUrl: standard.DEEPGRAM_BASE_URL! },
    elevenlabs: { apiKey: standard.ELEVENLABS_API_KEY, baseUrl: standard.ELEVENLABS_BASE_URL! },
    sarvam: { apiKey: standard.SARVAM_API_KEY, baseUrl: standard.SARVAM_BASE_URL! },
    llm: { apiKey: standard.LLM_API_KEY, baseUrl: standard.LLM_BASE_URL!, model: standard.LLM_MODEL! },
    lookup(name) {
      if (name in standard) return standard[name];
      const v = env[name]?.trim();
      return v ? v : undefined;
    },
  };
}
