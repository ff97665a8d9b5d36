// What Sarvam AI's speech APIs share: the API root, the auth header, the language codes, and the error body.
// Docs followed: https://docs.sarvam.ai/api-reference/authentication (`api-subscription-key` header),
// https://docs.sarvam.ai/api/errors-troubleshooting (`{"error":{"message","code"}}`; a bad key is 403
// invalid_api_key_error, 429 rate_limit_exceeded_error / insufficient_quota_error), and the language-code enums of
// /speech-to-text/ws and /text-to-speech/stream (xx-IN codes; Odia is `od-IN`, not ISO's `or`).
import { ProviderError } from './errors.js';
import { commonErrorFields, type ErrorSummary } from './refusal.js';

export const SARVAM_DEFAULT_BASE_URL = 'https://api.sarvam.ai';
export const SARVAM_KEY_HEADER = 'api-subscription-key';

/** The eleven languages every Sarvam speech model takes (Bulbul speaks these; Saarika hears them). */
export const SARVAM_LANGUAGES = ['hi-IN', 'bn-IN', 'gu-IN', 'kn-IN', 'ml-IN', 'mr-IN', 'od-IN', 'pa-IN', 'ta-IN', 'te-IN', 'en-IN'] as const;
/** The further languages saaras:v3 (and v4) recognise. */
export const SAARAS_V3_EXTRA_LANGUAGES = ['as-IN', 'ur-IN', 'ne-IN', 'kok-IN', 'ks-IN', 'sd-IN', 'sa-IN', 'sat-IN', 'mni-IN', 'brx-IN', 'mai-IN', 'doi-IN'] as const;

/**
 * Sarvam's code for a BCP-47 tag, by primary subtag (`hi`, `hi-IN` and `hi-Latn` are all `hi-IN`: Sarvam has one
 * code per language, and English is `en-IN` whatever the region); ISO's `or` is Sarvam's `od`. Undefined when the
 * language is not among `supported`.
 */
export function sarvamLanguage(tag: string, supported: readonly string[]): string | undefined {
  let primary = tag.trim().toLowerCase().split(/[-_]/)[0]!;
  if (primary === 'or') primary = 'od';
  return supported.find((code) => code.split('-')[0] === primary);
}

/** Like `sarvamLanguage`, but an unsupported language is an `unsupported-language` error naming what is. */
export function requireSarvamLanguage(name: string, tag: string, supported: readonly string[]): string {
  const code = sarvamLanguage(tag, supported);
  if (!code) throw new ProviderError('unsupported-language', `${name}: no Sarvam language for "${tag}" (supported: ${supported.join(', ')})`);
  return code;
}

/** Sarvam's error body; an unknown speaker is a configuration error (unknown-voice). */
export function sarvamError(json: unknown): ErrorSummary | undefined {
  const summary = commonErrorFields(json);
  if (summary?.message && /speaker/i.test(summary.message) && summary.providerCode === 'invalid_request_error') return { ...summary, code: 'unknown-voice' };
  return summary;
}

/** `<base><path>` with the scheme swapped to `ws(s)` or `http(s)` as the endpoint needs; credentials dropped. */
export function sarvamUrl(baseUrl: string, path: string, kind: 'ws' | 'http'): string {
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  if (!['https:', 'http:', 'wss:', 'ws:'].includes(url.protocol)) {
    throw new ProviderError('invalid-input', `Sarvam base URL must be http(s) or ws(s), got ${url.protocol}`);
  }
  url.protocol = kind === 'ws' ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  url.username = '';
  url.password = '';
  return url.toString();
}
