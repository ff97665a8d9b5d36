// A `LanguageModel` over the OpenAI chat completions API with `stream: true` (Server-Sent Events).
// OpenAI, Azure OpenAI, Groq, OpenRouter, vLLM, Ollama and llama.cpp servers all speak this wire
// format, so one adapter covers them: pick the provider by base URL (or a full URL for Azure).
//
// Wire format followed: platform.openai.com/docs/api-reference/chat/create (request, stream_options),
// platform.openai.com/docs/api-reference/chat-streaming (chunk object), platform.openai.com/docs/guides/
// function-calling (streamed tool calls, tool result messages), platform.openai.com/docs/guides/error-codes,
// learn.microsoft.com/azure/ai-services/openai/reference (Azure: `api-key` header, `api-version` query).
import { DEFAULT_JSON_LIMITS } from '../../limits/bounded-json.js';
import { ProviderError, abortReason } from '../errors.js';
import { readResponseText, refusalError } from '../refusal.js';
import type { ChatDelta, ChatRequest, LanguageModel } from '../types.js';
import { defaultMaxTokensField, maskUrl, parseChunk, requestBody, type MaxTokensField } from './openai-wire.js';
import { SseLines } from './sse-lines.js';
import { ToolCallAssembler } from './tool-calls.js';

export { maskUrl, toWireMessage } from './openai-wire.js';

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
  /**
   * Where `ChatRequest.maxTokens` goes. Default: `max_completion_tokens` for api.openai.com and api.groq.com (where
   * `max_tokens` is deprecated, and refused by OpenAI's reasoning models), `max_tokens` for any other endpoint.
   */
  maxTokensField?: MaxTokensField;
  /** `LanguageModel.name`; defaults to `openai-compatible:<model>`. */
  name?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;
/** A chat model behind any OpenAI-compatible `/chat/completions` endpoint, streamed. */
export class OpenAICompatibleLanguageModel implements LanguageModel {
  readonly name: string;
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly maxTokensField: MaxTokensField;

  constructor(private readonly options: OpenAICompatibleOptions) {
    if (!options.url && !options.baseUrl) throw new ProviderError('invalid-input', 'openai-compatible: set baseUrl or url');
    if (!options.model) throw new ProviderError('invalid-input', 'openai-compatible: model is required');
    this.url = options.url ?? `${options.baseUrl!.replace(/\/+$/, '')}/chat/completions`;
    this.name = options.name ?? `openai-compatible:${options.model}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
    this.maxTokensField = options.maxTokensField ?? defaultMaxTokensField(this.url);
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
          text = await readResponseText(res);
        } catch (err) {
          throw failure(err, 'reading the error from');
        }
        throw refusalError({
          provider: where,
          status: res.status,
          statusText: res.statusText,
          header: (h) => res.headers.get(h) ?? undefined,
          body: text,
          secrets: this.secrets,
          requestIdHeader: 'x-request-id',
        });
      }
      const type = res.headers.get('content-type') ?? '';
      if (!res.body || !type.includes('text/event-stream')) {
        res.body?.cancel().catch(() => {});
        throw new ProviderError('bad-response', `${where} answered ${type || 'without a content type'} instead of an event stream`);
      }

      reader = res.body.getReader();
      const decoder = new TextDecoder();
      const lines = new SseLines(DEFAULT_JSON_LIMITS.maxBytes, where);
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
        const chunk = parseChunk(data, where, this.secrets);
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
    return requestBody(request, { model: this.options.model, includeUsage: this.options.includeUsage, maxTokensField: this.maxTokensField });
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
