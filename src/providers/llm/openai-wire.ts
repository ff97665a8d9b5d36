// The OpenAI chat completions wire format: the request body we send, and the streamed chunks and in-stream
// errors we read (each chunk's JSON parsed within DEFAULT_JSON_LIMITS).
//
// Followed: platform.openai.com/docs/api-reference/chat/create (request, stream_options, max_completion_tokens;
// max_tokens is deprecated there and refused by reasoning models), platform.openai.com/docs/api-reference/
// chat-streaming (chunk object), platform.openai.com/docs/guides/function-calling (tool messages),
// console.groq.com/docs/api-reference (Groq: max_completion_tokens, max_tokens deprecated).
import { z } from 'zod';
import { DEFAULT_JSON_LIMITS, JsonLimitError, parseBoundedJson } from '../../limits/bounded-json.js';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import { commonErrorFields, redactSecrets, type ErrorSummary } from '../refusal.js';
import type { ChatMessage, ChatRequest, ToolSpec } from '../types.js';

/** The request field that caps the answer's length. */
export type MaxTokensField = 'max_tokens' | 'max_completion_tokens';

/**
 * OpenAI and Groq take `max_completion_tokens` (their `max_tokens` is deprecated, and OpenAI's reasoning models
 * refuse it); other OpenAI-compatible servers (Azure API versions before it, vLLM, Ollama, llama.cpp, OpenRouter)
 * have long understood `max_tokens`.
 */
export function defaultMaxTokensField(url: string): MaxTokensField {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'max_tokens';
  }
  return host === 'api.openai.com' || host === 'api.groq.com' ? 'max_completion_tokens' : 'max_tokens';
}

export interface WireOptions {
  model: string;
  includeUsage?: boolean;
  maxTokensField: MaxTokensField;
}

/** The JSON body of one streamed chat request. */
export function requestBody(request: ChatRequest, o: WireOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { model: o.model, messages: request.messages.map(toWireMessage), stream: true };
  if (o.includeUsage) body.stream_options = { include_usage: true };
  if (request.tools && request.tools.length > 0) body.tools = request.tools.map(toWireTool);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.maxTokens !== undefined) body[o.maxTokensField] = request.maxTokens;
  return body;
}

/** Our message shapes to the OpenAI wire shapes (`tool_calls`, `tool_call_id`). */
export function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'system':
    case 'user':
      return { role: message.role, content: message.content };
    case 'assistant':
      if (!message.toolCalls || message.toolCalls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        content: message.content,
        tool_calls: message.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toWireTool(tool: ToolSpec): Record<string, unknown> {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

// Servers differ in which fields they send and whether absent ones are null or missing, so
// everything not needed to drive the stream is optional.
const toolCallDeltaSchema = z.object({
  index: z.number().int().nonnegative().nullish(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
});
const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().int().nullish(),
        delta: z.object({ content: z.string().nullish(), tool_calls: z.array(toolCallDeltaSchema).nullish() }).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.object({ prompt_tokens: z.number().nullish(), completion_tokens: z.number().nullish() }).nullish(),
});
export type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;
export type ChatChunk = z.infer<typeof chunkSchema>;

/**
 * One event's data as a chunk. Throws ProviderError: `bad-response` for text that is not JSON, is over the JSON
 * limits or has the wrong shape; the streamed error's code (`rate-limited`, `unauthorized`, `server`) for an
 * `{error: ...}` event (the server failed after it had started answering).
 */
export function parseChunk(data: string, where: string, secrets: readonly string[]): ChatChunk {
  let json: unknown;
  try {
    json = parseBoundedJson(data, DEFAULT_JSON_LIMITS);
  } catch (err) {
    const e = err as JsonLimitError;
    if (e.reason === 'syntax') throw new ProviderError('bad-response', `${where} sent a chunk that is not JSON: ${clip(data, 80)}`);
    throw new ProviderError('bad-response', `${where} sent a chunk over the JSON limits (${e.message})`, { limit: e.reason });
  }
  if (json && typeof json === 'object' && ('error' in json || (json as { object?: unknown }).object === 'error')) {
    throw streamedError(commonErrorFields(json) ?? {}, where, secrets);
  }
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError('bad-response', `${where} sent a malformed chunk: ${clip(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 200)}`);
  }
  return parsed.data;
}

function streamedError(fields: ErrorSummary, where: string, secrets: readonly string[]): ProviderError {
  const kind = `${fields.type ?? ''} ${fields.providerCode ?? ''}`;
  const code: ProviderErrorCode = /rate|limit|quota|tokens|requests/i.test(kind) ? 'rate-limited' : /auth|key|permission/i.test(kind) ? 'unauthorized' : 'server';
  const details: Record<string, unknown> = {};
  if (fields.type) details.type = fields.type;
  if (fields.providerCode !== undefined) details.providerCode = fields.providerCode;
  return new ProviderError(code, `${where} failed mid-stream: ${redactSecrets(fields.message ?? 'unknown error', secrets)}`, details);
}

/** The URL without credentials: userinfo dropped, query values that look secret masked. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const key of [...u.searchParams.keys()]) if (/key|token|secret|sig|auth|password/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
