// A local stand-in for OpenAI's streamed chat completions, a real HTTP server on 127.0.0.1.
//
// Written from OpenAI's public docs:
// - platform.openai.com/docs/api-reference/chat/create (request body, stream, stream_options.include_usage)
// - platform.openai.com/docs/api-reference/chat-streaming (chat.completion.chunk: id, object, created,
//   model, system_fingerprint, choices[{index, delta, logprobs, finish_reason}], usage; `data: [DONE]`)
// - platform.openai.com/docs/guides/function-calling (streamed tool calls: the first delta of a call
//   carries index/id/type/function.name with empty arguments, later deltas only index + argument text;
//   tool messages must answer a preceding assistant message's tool_calls)
// - platform.openai.com/docs/guides/error-codes (401 invalid_api_key, 403 unsupported region, 429
//   rate_limit_exceeded, 500 server_error; the `{error: {message, type, param, code}}` body)
// - learn.microsoft.com/azure/ai-services/openai/reference (Azure: /openai/deployments/{name}/chat/
//   completions?api-version=..., key in the `api-key` header)
// and OpenAI's Node SDK SSE reader (openai/openai-node src/core/streaming.ts) for framing details.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface FakeToolCall {
  /** Defaults to a `call_...` id like OpenAI's. */
  id?: string;
  name: string;
  /** The JSON arguments; streamed in pieces of `FakeReply.argumentPieceChars`. */
  arguments: string;
}

export interface FakeReply {
  /** Text streamed one piece per chunk, in order, before any tool calls. */
  text?: readonly string[];
  toolCalls?: readonly FakeToolCall[];
  /** Size of the argument fragments. Default 5. */
  argumentPieceChars?: number;
  /** `sequential` (OpenAI's order: one call after the other) or `interleaved` (fragments round-robin). */
  toolCallOrder?: 'sequential' | 'interleaved';
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: string;
  /** Sent when the request asked for usage; defaults to rough counts (prompt JSON length / 4, one token per chunk). */
  usage?: { promptTokens: number; completionTokens: number };
}

/** What went over the wire, parsed. */
export interface RecordedChatRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: any;
  model?: string;
  messages?: any[];
  tools?: any[];
  stream?: boolean;
  streamOptions?: any;
  /** How the exchange ended, once it has. */
  outcome: Promise<Outcome>;
}

/** `client-closed`: the client hung up before the answer ended (abort, time-out, break). */
export type Outcome = 'completed' | 'refused' | 'client-closed' | 'dropped' | 'server-closed';

export type FakeFailure =
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'rate-limited'; retryAfterSec?: number }
  | { kind: 'server-error'; status?: number }
  /** Destroys the socket after this many chunks. */
  | { kind: 'drop-mid-stream'; afterChunks: number }
  /** Sends a chunk that is not JSON (`json`) or JSON of the wrong shape (`shape`) after this many chunks. */
  | { kind: 'malformed-chunk'; afterChunks: number; variant?: 'json' | 'shape' }
  /** Sends an `{error: ...}` event after this many chunks, as servers do when they fail mid-answer. */
  | { kind: 'stream-error'; afterChunks: number }
  /** Stops sending after this many chunks, keeping the connection open. */
  | { kind: 'stall'; afterChunks: number }
  /** Reads the request and never answers, not even headers. */
  | { kind: 'never-answer' };

export type ReplyScript = (request: RecordedChatRequest) => FakeReply;

export interface FakeOpenAIChatOptions {
  /** The key clients must present. Default `sk-test-fake-key-0123456789`. */
  apiKey?: string;
  /** Model name reported in chunks (OpenAI reports a dated snapshot of the requested model). */
  reportedModel?: (requested: string) => string;
  script?: ReplyScript;
  firstTokenDelayMs?: number;
  interTokenDelayMs?: number;
}

const DEFAULT_KEY = 'sk-test-fake-key-0123456789';

export class FakeOpenAIChat {
  readonly requests: RecordedChatRequest[] = [];
  apiKey: string;
  script: ReplyScript;
  firstTokenDelayMs: number;
  interTokenDelayMs: number;
  private readonly reportedModel: (requested: string) => string;
  private readonly failures: FakeFailure[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  constructor(options: FakeOpenAIChatOptions = {}) {
    this.apiKey = options.apiKey ?? DEFAULT_KEY;
    this.script = options.script ?? (() => ({ text: ['Hello', '!'] }));
    this.firstTokenDelayMs = options.firstTokenDelayMs ?? 0;
    this.interTokenDelayMs = options.interTokenDelayMs ?? 0;
    this.reportedModel = options.reportedModel ?? ((m) => m);
  }

  /** The next request (one per call, in order) fails this way. */
  failNext(failure: FakeFailure): void {
    this.failures.push(failure);
  }

  /** Listens on 127.0.0.1; `baseUrl` is the OpenAI-style root (`.../v1`), `origin` the Azure-style one. */
  async start(): Promise<{ baseUrl: string; origin: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { baseUrl: `${origin}/v1`, origin, close: () => this.close() };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    let settle!: (o: Outcome) => void;
    const record: RecordedChatRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: undefined,
      outcome: new Promise((resolve) => (settle = resolve)),
    };
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      settle(o);
    };
    res.on('close', () => finish(res.writableFinished ? 'completed' : 'client-closed'));

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push(record);
      const text = Buffer.concat(chunks).toString('utf8');
      const refuse = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => {
        finish('refused');
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId(), ...headers });
        res.end(JSON.stringify({ error: { message: '', type: 'invalid_request_error', param: null, code: null, ...error } }));
      };

      const azure = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname);
      if (req.method !== 'POST' || (url.pathname !== '/v1/chat/completions' && !azure)) {
        return refuse(404, { message: `Invalid URL (${req.method} ${url.pathname})` });
      }
      if (azure && !url.searchParams.get('api-version')) {
        return refuse(404, { code: '404', message: 'Resource not found' });
      }
      const denial = azure ? this.checkAzureKey(req.headers) : this.checkBearer(req.headers);
      if (denial) return refuse(401, denial);

      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        return refuse(400, { message: "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)" });
      }
      record.body = body;
      record.model = azure ? azure[1] : body.model;
      record.messages = body.messages;
      record.tools = body.tools;
      record.stream = body.stream;
      record.streamOptions = body.stream_options;
      const invalid = validate(body, !!azure);
      if (invalid) return refuse(400, invalid);

      const failure = this.failures.shift();
      if (failure?.kind === 'never-answer') return;
      if (failure?.kind === 'unauthorized') return refuse(401, this.wrongKey('sk-revoked-key-000000'));
      if (failure?.kind === 'forbidden') {
        return refuse(403, { code: 'unsupported_country_region_territory', type: 'request_forbidden', message: 'Country, region, or territory not supported' });
      }
      if (failure?.kind === 'rate-limited') {
        const wait = failure.retryAfterSec ?? 20;
        return refuse(
          429,
          { type: 'requests', code: 'rate_limit_exceeded', message: `Rate limit reached for ${body.model} in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${wait}s.` },
          { 'retry-after': String(wait), 'x-ratelimit-limit-requests': '3', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': `${wait}s` },
        );
      }
      if (failure?.kind === 'server-error') {
        return refuse(failure.status ?? 500, { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' });
      }
      this.stream(record, res, this.script(record), failure, finish);
    });
  }

  private checkBearer(headers: IncomingHttpHeaders): Record<string, unknown> | undefined {
    const auth = headers.authorization;
    if (!auth) {
      return { message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys." };
    }
    const key = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
    return key === this.apiKey ? undefined : this.wrongKey(key);
  }

  private checkAzureKey(headers: IncomingHttpHeaders): Record<string, unknown> | undefined {
    if (headers['api-key'] === this.apiKey) return undefined;
    return { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' };
  }

  /** OpenAI quotes the refused key with its middle masked. */
  private wrongKey(key: string): Record<string, unknown> {
    const shown = key.length > 8 ? `${key.slice(0, 5)}${'*'.repeat(Math.max(3, key.length - 9))}${key.slice(-4)}` : key;
    return { code: 'invalid_api_key', message: `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.` };
  }

  private stream(record: RecordedChatRequest, res: ServerResponse, reply: FakeReply, failure: FakeFailure | undefined, finish: (o: Outcome) => void): void {
    const id = `chatcmpl-${randomBytes(15).toString('base64url')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = this.reportedModel(record.model ?? '');
    const withUsage = record.streamOptions?.include_usage === true;
    const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake0001', choices, ...(withUsage ? { usage: null } : {}), ...extra })}\n\n`;
    const choice = (delta: Record<string, unknown>, finishReason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason: finishReason });

    const calls = (reply.toolCalls ?? []).map((c) => ({ ...c, id: c.id ?? `call_${randomBytes(12).toString('base64url')}` }));
    const text = reply.text ?? [];
    const frames: string[] = [frame([choice({ role: 'assistant', content: text.length > 0 || calls.length === 0 ? '' : null, refusal: null })])];
    for (const piece of text) frames.push(frame([choice({ content: piece })]));
    const pieceChars = reply.argumentPieceChars ?? 5;
    const perCall = calls.map((call, index) => {
      const out = [frame([choice({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] })])];
      for (let i = 0; i < call.arguments.length; i += pieceChars) {
        out.push(frame([choice({ tool_calls: [{ index, function: { arguments: call.arguments.slice(i, i + pieceChars) } }] })]));
      }
      return out;
    });
    if (reply.toolCallOrder === 'interleaved') {
      for (let i = 0; perCall.some((f) => i < f.length); i++) for (const f of perCall) if (i < f.length) frames.push(f[i]!);
    } else {
      for (const f of perCall) frames.push(...f);
    }
    frames.push(frame([choice({}, reply.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop'))]));
    if (withUsage) {
      const promptTokens = reply.usage?.promptTokens ?? Math.ceil(JSON.stringify(record.messages ?? []).length / 4);
      const completionTokens = reply.usage?.completionTokens ?? frames.length - 2;
      frames.push(frame([], { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }));
    }
    frames.push('data: [DONE]\n\n');

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId() });
    res.flushHeaders();
    const cutAt = failure && 'afterChunks' in failure ? failure.afterChunks : -1;
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    res.on('close', () => clearTimeout(timer));
    const next = () => {
      if (res.destroyed) return;
      if (i === cutAt && failure) {
        switch (failure.kind) {
          case 'drop-mid-stream':
            finish('dropped');
            res.socket?.destroy();
            return;
          case 'stall':
            return;
          case 'malformed-chunk':
            res.write(failure.variant === 'shape' ? `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 42 } }] })}\n\n` : `data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tru\n\n`);
            break;
          case 'stream-error':
            res.write(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } })}\n\n`);
            break;
        }
        finish('server-closed');
        res.end();
        return;
      }
      if (i >= frames.length) {
        res.end();
        return;
      }
      res.write(frames[i++]!);
      timer = setTimeout(next, this.interTokenDelayMs);
    };
    timer = setTimeout(next, this.firstTokenDelayMs);
  }
}

/** The request checks OpenAI makes that matter to a chat client; the message texts are OpenAI's. */
function validate(body: any, azure: boolean): Record<string, unknown> | undefined {
  if (!azure && typeof body.model !== 'string') return { message: 'you must provide a model parameter' };
  if (!Array.isArray(body.messages) || body.messages.length === 0) return { param: 'messages', code: 'empty_array', message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead." };
  if (body.stream_options != null && body.stream !== true) return { param: 'stream_options', message: "The 'stream_options' parameter is only allowed when 'stream' is enabled." };
  if (body.stream !== true) return { param: 'stream', message: 'This fake only streams: set stream to true.' };
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools) || body.tools.length === 0) return { param: 'tools', code: 'empty_array', message: "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead." };
    for (const [i, t] of body.tools.entries()) {
      if (t?.type !== 'function' || typeof t.function?.name !== 'string') return { param: `tools[${i}]`, message: `Invalid 'tools[${i}]': expected a function tool with a name.` };
    }
  }
  const pending = new Set<string>();
  for (const [i, m] of body.messages.entries()) {
    if (pending.size > 0 && m?.role !== 'tool') {
      return { param: 'messages', message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}` };
    }
    if (!['system', 'developer', 'user', 'assistant', 'tool'].includes(m?.role)) return { param: `messages.[${i}].role`, message: `Invalid value: '${m?.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function', and 'developer'.` };
    if (m.role === 'tool') {
      if (!pending.delete(m.tool_call_id)) return { param: `messages.[${i}].role`, message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'." };
      continue;
    }
    if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
      for (const c of m.tool_calls) {
        if (c?.type !== 'function' || typeof c.id !== 'string' || typeof c.function?.name !== 'string' || typeof c.function?.arguments !== 'string') {
          return { param: `messages.[${i}].tool_calls`, message: `Invalid 'messages[${i}].tool_calls': each needs id, type 'function' and function {name, arguments}.` };
        }
        pending.add(c.id);
      }
      continue;
    }
    if (typeof m.content !== 'string') return { param: `messages.[${i}].content`, message: `Invalid type for 'messages[${i}].content': expected one of a string or array of objects, but got ${m.content === null ? 'null' : typeof m.content} instead.` };
  }
  if (pending.size > 0) {
    return { param: 'messages', message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}` };
  }
  return undefined;
}

function requestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}
