// A tool backed by an HTTP endpoint (a CRM, an order system): the model's arguments are checked against the tool's
// JSON Schema, sent as a JSON body (POST/PUT/PATCH) or as query parameters (GET), and the answer, parsed JSON or
// text, goes back to the model. Every failure comes back as `{ error }` the model can read and talk about ("I can't
// reach the order system right now"); none throws, except an abort (barge-in, hang-up), whose result nobody reads.
// Neither the URL (it may carry a token) nor header values appear in what the model or a log sees.
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson, type JsonLimitError } from '../../limits/bounded-json.js';
import { abortReason } from '../../providers/errors.js';
import { validateJson, type JsonSchema } from './json-schema.js';
import type { AgentTool, ToolContext } from './types.js';

export type HttpToolMethod = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface HttpToolOptions {
  /** The function name the model calls (letters, digits, _ and -). */
  name: string;
  description: string;
  /** JSON Schema of the arguments (type object). */
  parameters: JsonSchema;
  method: HttpToolMethod;
  url: string;
  /** Sent as given; values may be secrets (they are never echoed). */
  headers?: Readonly<Record<string, string>>;
  /** From sending the request to the whole answer. Default 5000 ms. */
  timeoutMs?: number;
  /** Larger answers are refused (the model's context is not a dump). Default 64 KiB. */
  maxResponseBytes?: number;
  /** Said while the tool runs, after `fillerAfterMs`. */
  filler?: string;
  fillerAfterMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
/** Error bodies are cut to this many characters: enough for a message, not a page of HTML. */
const MAX_ERROR_TEXT = 500;

/** What the model gets back when the call did not produce an answer. */
export interface ToolError {
  error: string;
  status?: number;
  body?: unknown;
}

class ResponseTooLarge extends Error {}

export function createHttpTool(options: HttpToolOptions): AgentTool {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const fetchImpl = options.fetch ?? fetch;
  const name = options.name;
  const headers: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.1', 'user-agent': 'exovoice-tool' };
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  const withBody = options.method !== 'GET';
  if (withBody) headers['content-type'] ??= 'application/json';

  async function run(rawArgs: unknown, ctx: ToolContext): Promise<unknown> {
    const args = rawArgs === undefined || rawArgs === null ? {} : rawArgs;
    const problems = validateJson(options.parameters, args);
    if (problems.length > 0) return fail(`invalid arguments: ${problems.join('; ')}`);
    if (ctx.signal.aborted) throw abortReason(ctx.signal);

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    try {
      const res = await fetchImpl(withBody ? options.url : withQuery(options.url, args as Record<string, unknown>), {
        method: options.method,
        headers,
        body: withBody ? JSON.stringify(args) : undefined,
        signal,
        // A redirect could carry the headers (tokens) to another host.
        redirect: 'error',
      });
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw new ResponseTooLarge();
      }
      const text = await readCapped(res, maxBytes);
      const body = parseBody(text, res.headers.get('content-type'));
      if (!res.ok) return fail(`${name} answered HTTP ${res.status}`, res.status, 'value' in body && typeof body.value === 'object' && body.value !== null ? body.value : clip(text.trim()));
      if ('error' in body) {
        if (body.error.reason === 'syntax') return fail(`${name} answered with invalid JSON`, res.status, clip(text));
        return fail(`${name} answered JSON over the limits (${body.error.message})`, res.status);
      }
      return text === '' ? { ok: true, status: res.status } : body.value;
    } catch (err) {
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      if (timeout.signal.aborted) return fail(`${name} did not answer within ${timeoutMs} ms`);
      if (err instanceof ResponseTooLarge) return fail(`${name} answered more than ${maxBytes} bytes`);
      return fail(`${name} could not be reached (${networkCause(err)})`);
    } finally {
      clearTimeout(timer);
    }
  }

  return { spec: { name, description: options.description, parameters: options.parameters as Record<string, unknown> }, run, filler: options.filler, fillerAfterMs: options.fillerAfterMs };
}

function fail(error: string, status?: number, body?: unknown): ToolError {
  const out: ToolError = { error };
  if (status !== undefined) out.status = status;
  if (body !== undefined && body !== '') out.body = body;
  return out;
}

/** GET arguments as query parameters: scalars as text, arrays repeated, objects as JSON. */
function withQuery(url: string, args: Record<string, unknown>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(args)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
  }
  return u.toString();
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * JSON when the server says so, parsed within DEFAULT_JSON_LIMITS (the model's context, and the JSON.stringify
 * that puts the answer there, must not meet a depth bomb; polluting keys are dropped); text otherwise.
 */
function parseBody(text: string, contentType: string | null): { value: unknown } | { error: JsonLimitError } {
  const json = /[/+]json\b/i.test(contentType ?? '');
  if (!json) return { value: text.trim() };
  if (text.trim() === '') return { value: '' };
  const parsed = tryParseBoundedJson(text, DEFAULT_JSON_LIMITS);
  return parsed.ok ? { value: parsed.value } : { error: parsed.error };
}

function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

/** `ECONNREFUSED`, `unexpected redirect`, ... without the address (the URL may be secret). */
function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string' && !/\/\/|\d+\.\d+\.\d+\.\d+/.test(cause.message)) return cause.message;
  return 'network error';
}
