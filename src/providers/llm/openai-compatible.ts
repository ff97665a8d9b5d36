// A `LanguageModel` over the OpenAI chat completions API with `stream: true` (Server-Sent Events).
// OpenAI, Azure OpenAI, Groq, OpenRouter, vLLM, Ollama and llama.cpp servers all speak this wire
// format, so one adapter covers them: pick the provider by base URL (or a full URL for Azure).
//
// Wire format followed: platform.openai.com/docs/api-reference/chat/create (request, stream_options),
// platform.openai.com/docs/api-reference/chat-streaming (chunk object), platform.openai.com/docs/guides/
// function-calling (streamed tool calls, tool result messages), platform.openai.com/docs/guides/error-codes,
// learn.microsoft.com/azure/ai-services/openai/reference (Azure: `api-key` header, `api-version` query).
import { z } from 'zod';
import { ProviderError, abortReason, type ProviderErrorCode } from '../errors.js';
import type { ChatDelta, ChatMessage, ChatRequest, LanguageModel, ToolCall, ToolSpec } from '../types.js';

export interface OpenAICompatibleOptions {
  /** API root, e.g. `https://api.openai.com/v1`, `https://api.groq.com/openai/v1`, `http://127.0.0.1:11434/v1`. */
  baseUrl?: string;
  /**
   * The whole endpoint URL, used as is instead of `{baseUrl}/chat/completions`. For Azure OpenAI:
   * `https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT/chat/completions?api-version=2024-10-21`.
   */
  url?: string;
  /** Omit for local servers that take no key. */
  apiKey?: string;
  /** Header that carries the key: `authorization` (default, as `Bearer <key>`) or e.g. `api-key` (Azure: the bare key). */
  apiKeyHeader?: string;
  model: string;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Extra request headers (OpenRouter's `HTTP-Referer`, a proxy's headers, ...). */
  headers?: Record<string, string>;
  /** Longest wait for the first streamed chunk (connect + headers + first token). Default 10 s. */
  timeoutMs?: number;
  /** Longest silence between streamed chunks once the answer has started. Default 10 s. */
  idleTimeoutMs?: number;
  /** Ask for token usage (`stream_options.include_usage`); some older servers reject the option. */
  includeUsage?: boolean;
  /** Where `ChatRequest.maxTokens` goes: `max_tokens` (default, understood everywhere) or `max_completion_tokens` (OpenAI reasoning models). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** `LanguageModel.name`; defaults to `openai-compatible:<model>`. */
  name?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
const MAX_ERROR_MESSAGE_CHARS = 300;

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
type ToolCallDelta = z.infer<typeof toolCallDeltaSchema>;

/** A chat model behind any OpenAI-compatible `/chat/completions` endpoint, streamed. */
export class OpenAICompatibleLanguageModel implements LanguageModel {
  readonly name: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: OpenAICompatibleOptions) {
    if (!options.url && !options.baseUrl) throw new ProviderError('invalid-input', 'openai-compatible: set baseUrl or url');
    if (!options.model) throw new ProviderError('invalid-input', 'openai-compatible: model is required');
    this.url = options.url ?? `${options.baseUrl!.replace(/\/+$/, '')}/chat/completions`;
    this.name = options.name ?? `openai-compatible:${options.model}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
    this.headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (options.apiKey) {
      const header = (options.apiKeyHeader ?? 'authorization').toLowerCase();
      this.headers[header] = header === 'authorization' ? `Bearer ${options.apiKey}` : options.apiKey;
    }
    if (options.organization) this.headers['openai-organization'] = options.organization;
    for (const [k, v] of Object.entries(options.headers ?? {})) this.headers[k.toLowerCase()] = v;
    // Anything that could carry a credential is scrubbed from provider messages we pass on.
    this.secrets = [options.apiKey, ...Object.values(options.headers ?? {})].filter((s): s is string => !!s && s.length >= 6);
  }

  chat(request: ChatRequest): AsyncIterable<ChatDelta> {
    return this.stream(request);
  }

  private async *stream(request: ChatRequest): AsyncGenerator<ChatDelta> {
    const { signal } = request;
    if (signal?.aborted) throw abortReason(signal);
    const where = maskUrl(this.url);
    const ctl = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    // Node 20's fetch leaves a pending read() hanging when it is aborted after the whole body has
    // arrived, so stopping also cancels the reader, which settles that read.
    const stop = () => {
      ctl.abort();
      reader?.cancel().catch(() => {});
    };
    signal?.addEventListener('abort', stop, { once: true });

    // One timer: first the time-to-first-chunk budget, then the gap allowed between chunks.
    // While the consumer holds a delta, time passes on our side, not the server's: the timer
    // ignores that stretch and is re-armed once the consumer asks for more.
    let timedOut: string | undefined;
    let yielding = false;
    let timer = setTimeout(() => {
      if (yielding) return;
      timedOut = `no answer from ${where} within ${this.timeoutMs} ms`;
      stop();
    }, this.timeoutMs);
    let started = false;
    const gotData = () => {
      if (started) return void timer.refresh();
      started = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (yielding) return;
        timedOut = `${where} went silent for ${this.idleTimeoutMs} ms mid-answer`;
        stop();
      }, this.idleTimeoutMs);
    };
    const failure = (err: unknown, stage: string): unknown => {
      if (signal?.aborted) return abortReason(signal);
      if (timedOut) return new ProviderError('timeout', timedOut);
      if (err instanceof ProviderError) return err;
      return new ProviderError('connection-lost', `${stage} ${where} failed: ${describeNetworkError(err)}`);
    };

    let ended = false; // the body was read to its end
    let sawDone = false;
    try {
      let res: Response;
      try {
        res = await this.fetchImpl(this.url, { method: 'POST', headers: this.headers, body: JSON.stringify(this.body(request)), signal: ctl.signal });
      } catch (err) {
        throw failure(err, 'POST');
      }
      if (!res.ok) {
        let text = '';
        try {
          text = await res.text();
        } catch (err) {
          throw failure(err, 'reading the error from');
        }
        throw this.httpError(res, text, where);
      }
      const type = res.headers.get('content-type') ?? '';
      if (!res.body || !type.includes('text/event-stream')) {
        res.body?.cancel().catch(() => {});
        throw new ProviderError('bad-response', `${where} answered ${type || 'without a content type'} instead of an event stream`);
      }

      reader = res.body.getReader();
      const decoder = new TextDecoder();
      const lines = new SseLines();
      const tools = new ToolCallAssembler();
      const out: ChatDelta[] = [];
      let finishReason: string | undefined;
      let usage: { promptTokens?: number; completionTokens?: number } | undefined;

      const onData = (data: string) => {
        if (sawDone) return;
        if (data === '[DONE]') {
          sawDone = true;
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw new ProviderError('bad-response', `${where} sent a chunk that is not JSON: ${clip(data, 80)}`);
        }
        const streamed = errorFields(json);
        if (streamed) throw this.streamedError(streamed, where);
        const parsed = chunkSchema.safeParse(json);
        if (!parsed.success) throw new ProviderError('bad-response', `${where} sent a malformed chunk: ${clip(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 200)}`);
        const chunk = parsed.data;
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens ?? undefined, completionTokens: chunk.usage.completion_tokens ?? undefined };
        for (const choice of chunk.choices ?? []) {
          if ((choice.index ?? 0) !== 0) continue; // we never ask for n > 1
          const delta = choice.delta;
          if (delta?.content) out.push({ type: 'text', text: delta.content });
          for (const part of delta?.tool_calls ?? []) {
            const done = tools.add(part);
            if (done) out.push({ type: 'tool-call', call: done });
          }
          if (choice.finish_reason) {
            finishReason = choice.finish_reason;
            for (const call of tools.finish()) out.push({ type: 'tool-call', call });
          }
        }
      };

      while (!sawDone && !ended) {
        const read = await reader.read().catch((err: unknown) => {
          throw failure(err, 'streaming from');
        });
        if (signal?.aborted || timedOut) throw failure(undefined, 'streaming from');
        let broken: unknown; // a bad event: what came before it in this read is still handed out first
        try {
          if (read.done) {
            ended = true;
            lines.end(onData);
          } else if (lines.push(decoder.decode(read.value, { stream: true }), onData) > 0) {
            gotData();
          }
        } catch (err) {
          broken = err;
        }
        if (out.length > 0) {
          yielding = true;
          for (const delta of out) {
            if (signal?.aborted) throw abortReason(signal);
            yield delta;
          }
          yielding = false;
          out.length = 0;
          timer.refresh();
        }
        if (broken) throw broken;
      }
      if (!sawDone && finishReason === undefined) {
        throw new ProviderError('connection-lost', `${where} ended the stream before the answer finished`);
      }
      // Some servers omit finish_reason before [DONE]: whatever tool calls arrived are complete now.
      for (const call of tools.finish()) yield { type: 'tool-call', call };
      yield usage ? { type: 'done', finishReason: finishReason ?? 'stop', usage } : { type: 'done', finishReason: finishReason ?? 'stop' };
    } finally {
      signal?.removeEventListener('abort', stop);
      yielding = false;
      if (ended || !reader) {
        clearTimeout(timer);
        if (!ended) ctl.abort();
      } else if (sawDone) {
        // Reading the few bytes after [DONE] to the end lets fetch reuse the connection (a TLS
        // handshake saved next turn); the idle timer still bounds a server that lingers.
        void drain(reader).finally(() => clearTimeout(timer));
      } else {
        clearTimeout(timer);
        stop(); // broken out of, failed or aborted: end the request now
      }
    }
  }

  private body(request: ChatRequest): Record<string, unknown> {
    const body: Record<string, unknown> = { model: this.options.model, messages: request.messages.map(toWireMessage), stream: true };
    if (this.options.includeUsage) body.stream_options = { include_usage: true };
    if (request.tools && request.tools.length > 0) body.tools = request.tools.map(toWireTool);
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.maxTokens !== undefined) body[this.options.maxTokensField ?? 'max_tokens'] = request.maxTokens;
    return body;
  }

  private httpError(res: Response, text: string, where: string): ProviderError {
    const fields = errorFields(safeJson(text));
    const message = this.redact(clip(fields?.message ?? text.trim(), MAX_ERROR_MESSAGE_CHARS));
    const details: Record<string, unknown> = { status: res.status };
    if (fields?.type) details.type = fields.type;
    if (fields?.code !== undefined) details.code = fields.code;
    const requestId = res.headers.get('x-request-id');
    if (requestId) details.requestId = requestId;
    const code = codeForStatus(res.status);
    if (code === 'rate-limited') {
      const retryAfterSec = retryAfter(res.headers);
      if (retryAfterSec !== undefined) details.retryAfterSec = retryAfterSec;
    }
    return new ProviderError(code, `${where} answered HTTP ${res.status}${message ? `: ${message}` : ''}`, details);
  }

  /** An `{error: ...}` event inside a 200 stream (the server failed after it had started answering). */
  private streamedError(fields: ErrorFields, where: string): ProviderError {
    const kind = `${fields.type ?? ''} ${fields.code ?? ''}`;
    const code: ProviderErrorCode = /rate|limit|quota|tokens|requests/i.test(kind)
      ? 'rate-limited'
      : /auth|key|permission/i.test(kind)
        ? 'unauthorized'
        : 'server';
    const details: Record<string, unknown> = {};
    if (fields.type) details.type = fields.type;
    if (fields.code !== undefined) details.code = fields.code;
    return new ProviderError(code, `${where} failed mid-stream: ${this.redact(clip(fields.message ?? 'unknown error', MAX_ERROR_MESSAGE_CHARS))}`, details);
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // OpenAI echoes a partly masked key ("sk-ab***wxyz"): even the visible ends are not ours to log.
    return out.replace(/\bsk-[\w*-]{3,}/g, 'sk-***');
  }
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

/**
 * Builds tool calls from streamed pieces. Each piece names its call by `index`; the id and name
 * come first and the JSON arguments arrive in fragments. A call is complete when the stream
 * finishes, or earlier when the model moves on to another index and the call's arguments already
 * parse: a complete JSON object is never a prefix of a longer valid one, so this is safe even when
 * a server interleaves the fragments of parallel calls.
 */
class ToolCallAssembler {
  private readonly calls: { index: number; id: string; name: string; args: string; emitted: boolean }[] = [];
  private current = -1;

  /** Adds one piece; returns the previous call if this piece completed it. */
  add(part: ToolCallDelta): ToolCall | undefined {
    // Servers that leave out `index` send each call whole or in order: a new id starts a new call.
    const index = part.index ?? (part.id && !this.calls.some((c) => c.id === part.id) ? this.calls.length : Math.max(this.current, 0));
    let call = this.calls.find((c) => c.index === index);
    if (!call) {
      call = { index, id: '', name: '', args: '', emitted: false };
      this.calls.push(call);
    }
    if (part.id && !call.id) call.id = part.id;
    if (part.function?.name && !call.name) call.name = part.function.name;
    const args = part.function?.arguments;
    if (args) {
      if (call.emitted && args.trim()) throw new ProviderError('bad-response', `tool call ${call.name} got more arguments after they were complete`);
      call.args += args;
    }
    const previous = this.current;
    this.current = index;
    if (previous === index || previous < 0) return undefined;
    const before = this.calls.find((c) => c.index === previous)!;
    if (before.emitted || !parsesAsJson(before.args)) return undefined;
    return this.emit(before);
  }

  /** Every call not yet handed out, in index order. */
  finish(): ToolCall[] {
    return this.calls
      .filter((c) => !c.emitted)
      .sort((a, b) => a.index - b.index)
      .map((c) => this.emit(c));
  }

  private emit(call: { index: number; id: string; name: string; args: string; emitted: boolean }): ToolCall {
    if (!call.name) throw new ProviderError('bad-response', `tool call #${call.index} arrived without a function name`);
    call.emitted = true;
    // An id is what the tool result answers; servers that omit it accept any we make up.
    return { id: call.id || `call_${call.index}`, name: call.name, arguments: call.args };
  }
}

/** Splits decoded text into SSE events and hands each event's `data` to `onData`. */
class SseLines {
  private pending = '';
  private data: string[] = [];

  /** Returns how many events completed. */
  push(text: string, onData: (data: string) => void): number {
    this.pending += text;
    let events = 0;
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const end = nl > start && this.pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      events += this.line(this.pending.slice(start, end), onData);
      start = nl + 1;
    }
    this.pending = start === 0 ? this.pending : this.pending.slice(start);
    return events;
  }

  /** The stream ended: a final event without its blank line still counts. */
  end(onData: (data: string) => void): void {
    if (this.pending) this.line(this.pending, onData);
    this.pending = '';
    this.line('', onData);
  }

  private line(line: string, onData: (data: string) => void): number {
    if (line === '') {
      if (this.data.length === 0) return 0;
      const data = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
      this.data = [];
      onData(data);
      return 1;
    }
    if (line.startsWith('data:')) this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    // Comments (": keep-alive", OpenRouter's ": OPENROUTER PROCESSING") and event:/id:/retry: fields carry nothing we use.
    return 0;
  }
}

interface ErrorFields {
  message?: string;
  type?: string;
  code?: string | number | null;
}

/** OpenAI's `{error: {message, type, code}}`, vLLM's `{object: 'error', message, type, code}`, or `{error: 'text'}`. */
function errorFields(json: unknown): ErrorFields | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const o = json as Record<string, unknown>;
  const pick = (e: Record<string, unknown>): ErrorFields => ({
    message: typeof e.message === 'string' ? e.message : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
    code: typeof e.code === 'string' || typeof e.code === 'number' ? e.code : e.code === null ? null : undefined,
  });
  if (typeof o.error === 'string') return { message: o.error };
  if (o.error && typeof o.error === 'object') return pick(o.error as Record<string, unknown>);
  if (o.object === 'error') return pick(o);
  return undefined;
}

function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 429) return 'rate-limited';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'invalid-input'; // 400/404/413/422: the request (model name, context length, ...) was refused
}

/** Seconds to wait, from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date). */
function retryAfter(headers: Headers): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const sec = Number(value);
  if (Number.isFinite(sec) && sec >= 0) return sec;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.round((at - Date.now()) / 1000));
}

function parsesAsJson(text: string): boolean {
  // Cheap pre-check: arguments are a JSON object, so anything not ending in a brace is unfinished.
  let end = text.length - 1;
  while (end >= 0 && text.charCodeAt(end) <= 32) end--;
  if (text[end] !== '}' && text[end] !== ']') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // Aborted by the idle timer or the server hung up: the answer was already complete.
  }
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  return code ? `${err.message} (${code})` : err.message;
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

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
