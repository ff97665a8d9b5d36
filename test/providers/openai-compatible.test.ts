import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { OpenAICompatibleLanguageModel, type OpenAICompatibleOptions } from '../../src/providers/llm/openai-compatible.js';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import type { ChatDelta, ChatMessage, ChatRequest, ToolSpec } from '../../src/providers/types.js';
import { FakeOpenAIChat, type FakeOpenAIChatOptions } from '../fakes/openai-chat.js';

const KEY = 'sk-test-SECRETSECRET-1234567890';
const USER: ChatMessage[] = [
  { role: 'system', content: 'You are a front desk.' },
  { role: 'user', content: 'What is my balance?' },
];
const TOOLS: ToolSpec[] = [
  { name: 'get_balance', description: 'Account balance in rupees', parameters: { type: 'object', properties: { account: { type: 'string' } }, required: ['account'] } },
  { name: 'get_plan', description: 'Current plan', parameters: { type: 'object', properties: { account: { type: 'string' } } } },
];

async function withFake(
  options: FakeOpenAIChatOptions,
  fn: (fake: FakeOpenAIChat, model: (o?: Partial<OpenAICompatibleOptions>) => OpenAICompatibleLanguageModel, urls: { baseUrl: string; origin: string }) => Promise<void>,
): Promise<void> {
  const fake = new FakeOpenAIChat({ apiKey: KEY, ...options });
  const { baseUrl, origin, close } = await fake.start();
  try {
    await fn(fake, (o = {}) => new OpenAICompatibleLanguageModel({ baseUrl, apiKey: KEY, model: 'gpt-4o-mini', ...o }), { baseUrl, origin });
  } finally {
    await close();
  }
}

async function collect(iterable: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const d of iterable) out.push(d);
  return out;
}

/** Collects until the stream fails; returns what arrived and the error. */
async function collectUntilError(iterable: AsyncIterable<ChatDelta>): Promise<{ deltas: ChatDelta[]; error: unknown }> {
  const deltas: ChatDelta[] = [];
  try {
    for await (const d of iterable) deltas.push(d);
  } catch (error) {
    return { deltas, error };
  }
  assert.fail(`expected the stream to fail, got ${JSON.stringify(deltas)}`);
}

function providerError(err: unknown, code: string): ProviderError {
  assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  assert.ok(!err.message.includes(KEY) && !err.message.includes('SECRET') && !err.message.includes('7890'), `key leaked: ${err.message}`);
  return err;
}

const textOf = (deltas: ChatDelta[]) => deltas.map((d) => (d.type === 'text' ? d.text : '')).join('');

test('streams text deltas in order and sends the documented request', async () => {
  const pieces = ['Your', ' balance', ' is', ' ₹', '520', '.'];
  await withFake({ script: () => ({ text: pieces }) }, async (fake, model) => {
    const deltas = await collect(model().chat({ messages: USER, temperature: 0.3, maxTokens: 120 }));
    assert.deepEqual(
      deltas.filter((d) => d.type === 'text').map((d) => (d as { text: string }).text),
      pieces,
    );
    assert.deepEqual(deltas.at(-1), { type: 'done', finishReason: 'stop' });

    const [req] = fake.requests;
    assert.equal(req!.path, '/v1/chat/completions');
    assert.equal(req!.headers.authorization, `Bearer ${KEY}`);
    assert.match(String(req!.headers['content-type']), /application\/json/);
    assert.deepEqual(req!.body, {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a front desk.' },
        { role: 'user', content: 'What is my balance?' },
      ],
      stream: true,
      temperature: 0.3,
      max_tokens: 120,
    });
    assert.equal(await req!.outcome, 'completed');
  });
});

test('usage comes with done when include_usage is on; max_completion_tokens when chosen', async () => {
  await withFake({ script: () => ({ text: ['Hi', ' there'], usage: { promptTokens: 31, completionTokens: 2 } }) }, async (fake, model) => {
    const deltas = await collect(model({ includeUsage: true, maxTokensField: 'max_completion_tokens' }).chat({ messages: USER, maxTokens: 50 }));
    assert.equal(textOf(deltas), 'Hi there');
    assert.deepEqual(deltas.at(-1), { type: 'done', finishReason: 'stop', usage: { promptTokens: 31, completionTokens: 2 } });
    assert.deepEqual(fake.requests[0]!.streamOptions, { include_usage: true });
    assert.equal(fake.requests[0]!.body.max_completion_tokens, 50);
    assert.equal('max_tokens' in fake.requests[0]!.body, false);
  });
});

test('two parallel tool calls with interleaved argument fragments are assembled whole, in index order', async () => {
  const balanceArgs = JSON.stringify({ account: 'AC-1001', currency: 'INR' });
  const planArgs = JSON.stringify({ account: 'AC-1001', detail: { level: 'full', include: ['data', 'sms'] } });
  await withFake(
    {
      script: () => ({
        toolCalls: [
          { id: 'call_bal', name: 'get_balance', arguments: balanceArgs },
          { id: 'call_plan', name: 'get_plan', arguments: planArgs },
        ],
        toolCallOrder: 'interleaved',
        argumentPieceChars: 3,
      }),
    },
    async (fake, model) => {
      const deltas = await collect(model().chat({ messages: USER, tools: TOOLS }));
      assert.deepEqual(deltas, [
        { type: 'tool-call', call: { id: 'call_bal', name: 'get_balance', arguments: balanceArgs } },
        { type: 'tool-call', call: { id: 'call_plan', name: 'get_plan', arguments: planArgs } },
        { type: 'done', finishReason: 'tool_calls' },
      ]);
      assert.deepEqual(fake.requests[0]!.tools, [
        { type: 'function', function: { name: 'get_balance', description: 'Account balance in rupees', parameters: TOOLS[0]!.parameters } },
        { type: 'function', function: { name: 'get_plan', description: 'Current plan', parameters: TOOLS[1]!.parameters } },
      ]);
    },
  );
});

test('a sequential tool call is handed out as soon as the model moves on to the next one', async () => {
  // Chunks: role, call 0 header, 3 argument fragments, call 1 header; then the server stalls.
  const args0 = '{"account":"A-7"}'; // 17 chars = 3 fragments of 6
  await withFake(
    { script: () => ({ toolCalls: [{ id: 'c0', name: 'get_balance', arguments: args0 }, { id: 'c1', name: 'get_plan', arguments: '{"account":"A-7"}' }], argumentPieceChars: 6 }) },
    async (fake, model) => {
      fake.failNext({ kind: 'stall', afterChunks: 6 });
      const { deltas, error } = await collectUntilError(model({ idleTimeoutMs: 300 }).chat({ messages: USER, tools: TOOLS }));
      assert.deepEqual(deltas, [{ type: 'tool-call', call: { id: 'c0', name: 'get_balance', arguments: args0 } }]);
      providerError(error, 'timeout');
    },
  );
});

test('tool round trip: assistant tool calls and the tool result go back in the OpenAI wire shape', async () => {
  const script = (req: { messages?: any[] }) => {
    const last = req.messages!.at(-1);
    if (last.role === 'tool') return { text: [`Your balance is ₹${JSON.parse(last.content).balance}.`] };
    return { toolCalls: [{ id: 'call_abc123', name: 'get_balance', arguments: '{"account":"AC-1001"}' }] };
  };
  await withFake({ script }, async (fake, model) => {
    const llm = model();
    const first = await collect(llm.chat({ messages: USER, tools: TOOLS }));
    const calls = first.flatMap((d) => (d.type === 'tool-call' ? [d.call] : []));
    assert.deepEqual(calls, [{ id: 'call_abc123', name: 'get_balance', arguments: '{"account":"AC-1001"}' }]);

    const followUp: ChatMessage[] = [
      ...USER,
      { role: 'assistant', content: null, toolCalls: calls },
      { role: 'tool', toolCallId: 'call_abc123', content: '{"balance":520}' },
    ];
    const second = await collect(llm.chat({ messages: followUp, tools: TOOLS }));
    assert.equal(textOf(second), 'Your balance is ₹520.');
    assert.deepEqual(second.at(-1), { type: 'done', finishReason: 'stop' });

    assert.deepEqual(fake.requests[1]!.messages!.slice(2), [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_abc123', type: 'function', function: { name: 'get_balance', arguments: '{"account":"AC-1001"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc123', content: '{"balance":520}' },
    ]);
  });
});

test('a tool result that answers no tool call is refused by the fake and reported as invalid-input', async () => {
  await withFake({}, async (_fake, model) => {
    const messages: ChatMessage[] = [...USER, { role: 'tool', toolCallId: 'call_nope', content: '{}' }];
    const { error } = await collectUntilError(model().chat({ messages }));
    const err = providerError(error, 'invalid-input');
    assert.match(err.message, /must be a response to a preceeding message with 'tool_calls'/);
    assert.equal(err.details?.status, 400);
  });
});

test('wrong key: unauthorized with the provider message, the key masked out', async () => {
  await withFake({}, async (_fake, model) => {
    const wrong = 'sk-test-SECRETSECRET-1234567899';
    const { error } = await collectUntilError(model({ apiKey: wrong }).chat({ messages: USER }));
    const err = providerError(error, 'unauthorized');
    assert.match(err.message, /HTTP 401: Incorrect API key provided: sk-\*\*\*\. You can find your API key/);
    assert.ok(!err.message.includes('7899'));
    assert.equal(err.details?.providerCode, 'invalid_api_key');
    assert.match(String(err.details?.requestId), /^req_/);
    assert.equal(isRetryable(err), false);
  });
});

test('no key at all: unauthorized', async () => {
  await withFake({}, async (fake, model) => {
    const { error } = await collectUntilError(model({ apiKey: undefined }).chat({ messages: USER }));
    assert.match(providerError(error, 'unauthorized').message, /You didn't provide an API key/);
    assert.equal(fake.requests[0]!.headers.authorization, undefined);
  });
});

test('403 (region not supported): unauthorized', async () => {
  await withFake({}, async (fake, model) => {
    fake.failNext({ kind: 'forbidden' });
    const { error } = await collectUntilError(model().chat({ messages: USER }));
    const err = providerError(error, 'unauthorized');
    assert.equal(err.details?.status, 403);
    assert.equal(err.details?.providerCode, 'unsupported_country_region_territory');
  });
});

test('429: rate-limited with Retry-After', async () => {
  await withFake({}, async (fake, model) => {
    fake.failNext({ kind: 'rate-limited', retryAfterSec: 7 });
    const { error } = await collectUntilError(model().chat({ messages: USER }));
    const err = providerError(error, 'rate-limited');
    assert.equal(err.details?.retryAfterSec, 7);
    assert.equal(err.details?.providerCode, 'rate_limit_exceeded');
    assert.match(err.message, /Rate limit reached/);
    assert.equal(isRetryable(err), true);
  });
});

test('500 and 503: server', async () => {
  await withFake({}, async (fake, model) => {
    for (const status of [500, 503]) {
      fake.failNext({ kind: 'server-error', status });
      const { error } = await collectUntilError(model().chat({ messages: USER }));
      const err = providerError(error, 'server');
      assert.equal(err.details?.status, status);
      assert.match(err.message, /The server had an error/);
    }
  });
});

test('an error event inside the stream: server, after the text that came before it', async () => {
  await withFake({ script: () => ({ text: ['Your', ' balance', ' is'] }) }, async (fake, model) => {
    fake.failNext({ kind: 'stream-error', afterChunks: 3 });
    const { deltas, error } = await collectUntilError(model().chat({ messages: USER }));
    assert.equal(textOf(deltas), 'Your balance');
    assert.match(providerError(error, 'server').message, /failed mid-stream: The server had an error/);
  });
});

test('connection dropped mid-stream: connection-lost, after the text that arrived', async () => {
  await withFake({ script: () => ({ text: ['One', ' two', ' three', ' four'] }) }, async (fake, model) => {
    fake.failNext({ kind: 'drop-mid-stream', afterChunks: 3 });
    const { deltas, error } = await collectUntilError(model().chat({ messages: USER }));
    assert.equal(textOf(deltas), 'One two');
    assert.equal(isRetryable(providerError(error, 'connection-lost')), true);
    assert.equal(await fake.requests[0]!.outcome, 'dropped');
  });
});

test('malformed chunks: bad-response, for broken JSON and for a wrong shape', async () => {
  await withFake({ script: () => ({ text: ['a', 'b', 'c'] }) }, async (fake, model) => {
    fake.failNext({ kind: 'malformed-chunk', afterChunks: 2, variant: 'json' });
    const broken = await collectUntilError(model().chat({ messages: USER }));
    assert.equal(textOf(broken.deltas), 'a');
    assert.match(providerError(broken.error, 'bad-response').message, /not JSON/);

    fake.failNext({ kind: 'malformed-chunk', afterChunks: 2, variant: 'shape' });
    const shape = await collectUntilError(model().chat({ messages: USER }));
    assert.match(providerError(shape.error, 'bad-response').message, /malformed chunk: choices\.0\.delta\.content/);
  });
});

test('a server that never answers: timeout after timeoutMs, and the request is dropped', async () => {
  await withFake({}, async (fake, model) => {
    fake.failNext({ kind: 'never-answer' });
    const { error } = await collectUntilError(model({ timeoutMs: 150 }).chat({ messages: USER }));
    assert.match(providerError(error, 'timeout').message, /no answer .* within 150 ms/);
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');
  });
});

test('slow first token (headers sent, no data): timeout', async () => {
  await withFake({ firstTokenDelayMs: 10_000 }, async (fake, model) => {
    const { error } = await collectUntilError(model({ timeoutMs: 150 }).chat({ messages: USER }));
    providerError(error, 'timeout');
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');
  });
});

test('silence mid-stream longer than idleTimeoutMs: timeout after the text so far', async () => {
  await withFake({ script: () => ({ text: ['Let', ' me', ' check'] }) }, async (fake, model) => {
    fake.failNext({ kind: 'stall', afterChunks: 3 });
    const { deltas, error } = await collectUntilError(model({ idleTimeoutMs: 150 }).chat({ messages: USER }));
    assert.equal(textOf(deltas), 'Let me');
    assert.match(providerError(error, 'timeout').message, /silent for 150 ms/);
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');
  });
});

test('a consumer slower than idleTimeoutMs is not mistaken for a silent server', async () => {
  await withFake({ script: () => ({ text: ['a', 'b', 'c'] }) }, async (_fake, model) => {
    const got: string[] = [];
    for await (const d of model({ idleTimeoutMs: 50 }).chat({ messages: USER })) {
      if (d.type === 'text') got.push(d.text);
      await new Promise((r) => setTimeout(r, 120)); // longer than the idle budget
    }
    assert.deepEqual(got, ['a', 'b', 'c']);
  });
});

test('connection refused: connection-lost', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const llm = new OpenAICompatibleLanguageModel({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, model: 'm' });
  const { error } = await collectUntilError(llm.chat({ messages: USER }));
  assert.match(providerError(error, 'connection-lost').message, /ECONNREFUSED/);
});

test('abort mid-stream rejects with the abort reason at once and hangs up on the server', async () => {
  const words = Array.from({ length: 200 }, (_, i) => ` w${i}`);
  await withFake({ script: () => ({ text: words }), interTokenDelayMs: 5 }, async (fake, model) => {
    const ctl = new AbortController();
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const d of model().chat({ messages: USER, signal: ctl.signal })) {
          if (d.type === 'text') got.push(d.text);
          if (got.length === 3) ctl.abort();
        }
      })(),
      (err: unknown) => err instanceof DOMException && err.name === 'AbortError',
    );
    assert.equal(got.length, 3);
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');
  });
});

test('abort while waiting for the first token; an already aborted signal sends nothing', async () => {
  await withFake({ firstTokenDelayMs: 10_000 }, async (fake, model) => {
    const ctl = new AbortController();
    const reason = new Error('caller hung up');
    const pending = collect(model().chat({ messages: USER, signal: ctl.signal }));
    setTimeout(() => ctl.abort(reason), 50);
    await assert.rejects(pending, (err) => err === reason);
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');

    const done = new AbortController();
    done.abort();
    await assert.rejects(collect(model().chat({ messages: USER, signal: done.signal })), { name: 'AbortError' });
    assert.equal(fake.requests.length, 1);
  });
});

test('abort while the consumer holds a delta, after the whole answer has arrived, still rejects at once', async () => {
  await withFake({ script: () => ({ text: ['a', 'b', 'c'] }) }, async (_fake, model) => {
    const ctl = new AbortController();
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const d of model().chat({ messages: USER, signal: ctl.signal })) {
          if (d.type === 'text') got.push(d.text);
          await new Promise((r) => setTimeout(r, 50)); // lets the rest of the body arrive
          ctl.abort();
        }
      })(),
      { name: 'AbortError' },
    );
    assert.ok(got.length < 3, `got ${got.join()}`);
  });
});

test('breaking out of the loop ends the HTTP request', async () => {
  const words = Array.from({ length: 200 }, (_, i) => ` w${i}`);
  await withFake({ script: () => ({ text: words }), interTokenDelayMs: 5 }, async (fake, model) => {
    for await (const d of model().chat({ messages: USER })) if (d.type === 'text') break;
    assert.equal(await fake.requests[0]!.outcome, 'client-closed');
  });
});

test('Azure OpenAI: full deployment URL, api-key header, no Authorization', async () => {
  await withFake({ script: () => ({ text: ['Namaste'] }) }, async (fake, model, { origin }) => {
    const url = `${origin}/openai/deployments/front-desk-4o/chat/completions?api-version=2024-10-21`;
    const deltas = await collect(model({ baseUrl: undefined, url, apiKeyHeader: 'api-key' }).chat({ messages: USER }));
    assert.equal(textOf(deltas), 'Namaste');
    const req = fake.requests[0]!;
    assert.equal(req.headers['api-key'], KEY);
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.query['api-version'], '2024-10-21');
    assert.equal(req.model, 'front-desk-4o');

    const { error } = await collectUntilError(model({ baseUrl: undefined, url, apiKeyHeader: 'api-key', apiKey: 'wrong-key-123456' }).chat({ messages: USER }));
    assert.match(providerError(error, 'unauthorized').message, /Access denied/);
  });
});

test('organization and custom headers are sent', async () => {
  await withFake({}, async (fake, model) => {
    const llm = model({ organization: 'org-exotel', headers: { 'HTTP-Referer': 'https://exovoice.example', 'X-Title': 'Exovoice' } });
    await collect(llm.chat({ messages: USER }));
    const h = fake.requests[0]!.headers;
    assert.equal(h['openai-organization'], 'org-exotel');
    assert.equal(h['http-referer'], 'https://exovoice.example');
    assert.equal(h['x-title'], 'Exovoice');
  });
});

test('a proxy that echoes our credentials back: key, custom header secrets and secret query values are masked', async () => {
  const { createServer: createHttp } = await import('node:http');
  const server = createHttp((req, res) => {
    const echoed = `refused ${req.headers.authorization} with gateway token ${req.headers['x-gateway-token']}`;
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: echoed, type: 'auth' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/chat/completions?api-version=1&sig=querysecret99`;
    const llm = new OpenAICompatibleLanguageModel({ url, apiKey: 'plainkey-SECRET-42', headers: { 'X-Gateway-Token': 'gw-SECRET-token' }, model: 'm' });
    const { error } = await collectUntilError(llm.chat({ messages: USER }));
    const err = providerError(error, 'unauthorized');
    assert.match(err.message, /refused Bearer \*\*\* with gateway token \*\*\*/);
    assert.match(err.message, /api-version=1&sig=\*\*\*/);
    assert.ok(!err.message.includes('querysecret99'));
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('an answer that is not an event stream is a bad-response; an unknown path is invalid-input', async () => {
  await withFake({}, async (_fake, model, { origin }) => {
    const notFound = await collectUntilError(model({ baseUrl: `${origin}/v2` }).chat({ messages: USER }));
    assert.match(providerError(notFound.error, 'invalid-input').message, /HTTP 404: Invalid URL \(POST \/v2\/chat\/completions\)/);
  });
  const { createServer: createHttp } = await import('node:http');
  const server = createHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[]}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const llm = new OpenAICompatibleLanguageModel({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'm' });
    const { error } = await collectUntilError(llm.chat({ messages: USER }));
    assert.match(providerError(error, 'bad-response').message, /application\/json instead of an event stream/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('a stream that ends without [DONE] or a finish reason is connection-lost; one with a finish reason is complete', async () => {
  const { createServer: createHttp } = await import('node:http');
  let body = '';
  const server = createHttp((_req, res) => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  try {
    const llm = new OpenAICompatibleLanguageModel({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: 'm' });
    body = chunk({ content: 'Hel' }) + chunk({ content: 'lo' }) + 'data: {"choices":[{"index":0,"delta":{"content":"!"}}]}';
    const cut = await collectUntilError(llm.chat({ messages: USER }));
    assert.equal(textOf(cut.deltas), 'Hello!'); // the last event, unterminated, still counts
    providerError(cut.error, 'connection-lost');

    // CRLF framing, a comment, an event split over two data lines being JSON with a newline, no [DONE].
    body = ': keep-alive\r\n\r\n' + chunk({ content: 'Hi' }).replace(/\n/g, '\r\n') + 'data: {"choices":[{"index":0,\ndata: "delta":{},"finish_reason":"length"}]}';
    const complete = await collect(llm.chat({ messages: USER }));
    // The same in one read: the text before a broken event is still handed out.
    body = chunk({ content: 'Hi' }) + 'data: {"choices":\n\n' + chunk({ content: 'never' });
    const broken = await collectUntilError(llm.chat({ messages: USER }));
    assert.equal(textOf(broken.deltas), 'Hi');
    providerError(broken.error, 'bad-response');
    assert.deepEqual(complete, [{ type: 'text', text: 'Hi' }, { type: 'done', finishReason: 'length' }]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('servers that send whole tool calls without an index, and no finish reason before [DONE]', async () => {
  const { createServer: createHttp } = await import('node:http');
  const call = (id: string | undefined, name: string, args: string) => ({ ...(id ? { id } : {}), type: 'function', function: { name, arguments: args } });
  let toolCalls: object[][] = [];
  const server = createHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const tc of toolCalls) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: tc }, finish_reason: null }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const llm = new OpenAICompatibleLanguageModel({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'llama3.1' });
    toolCalls = [[call('a1', 'get_balance', '{"account":"X"}')], [call('a2', 'get_plan', '{}')]];
    assert.deepEqual(await collect(llm.chat({ messages: USER, tools: TOOLS })), [
      { type: 'tool-call', call: { id: 'a1', name: 'get_balance', arguments: '{"account":"X"}' } },
      { type: 'tool-call', call: { id: 'a2', name: 'get_plan', arguments: '{}' } },
      { type: 'done', finishReason: 'stop' },
    ]);
    // No id either: one is made up so the tool result can answer it.
    toolCalls = [[call(undefined, 'get_plan', '{}')]];
    assert.deepEqual((await collect(llm.chat({ messages: USER, tools: TOOLS })))[0], { type: 'tool-call', call: { id: 'call_0', name: 'get_plan', arguments: '{}' } });
    // A call with no function name cannot be run.
    toolCalls = [[{ index: 0, id: 'x', function: { arguments: '{}' } }]];
    providerError((await collectUntilError(llm.chat({ messages: USER, tools: TOOLS }))).error, 'bad-response');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('requests of concurrent chats do not mix', async () => {
  await withFake(
    { script: (req) => ({ text: [...String(req.messages!.at(-1).content)].map((c) => c) }), interTokenDelayMs: 1 },
    async (_fake, model) => {
      const llm = model();
      const asks = ['first question', 'second one', 'third'];
      const answers = await Promise.all(asks.map(async (q) => textOf(await collect(llm.chat({ messages: [{ role: 'user', content: q }] } satisfies ChatRequest)))));
      assert.deepEqual(answers, asks);
    },
  );
});

test('hostile streams: an endless line, a depth bomb chunk and endless tool arguments are bad-response; polluting keys are dropped', async () => {
  const { createServer: createHttp } = await import('node:http');
  let write: (res: import('node:http').ServerResponse) => void = () => {};
  const server = createHttp((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    write(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const chunk = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`;
  try {
    const llm = new OpenAICompatibleLanguageModel({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: 'm' });

    // A line that never ends: refused once it passes 1 MiB, not buffered until memory runs out.
    write = (res) => {
      res.write(chunk({ content: 'Hi' }));
      const piece = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024 && res.write(`${sent === 0 ? 'data: ' : ''}${piece}`)) sent += piece.length;
        if (sent < 4 * 1024 * 1024) res.once('drain', pump);
      };
      pump();
    };
    const endless = await collectUntilError(llm.chat({ messages: USER }));
    assert.equal(textOf(endless.deltas), 'Hi');
    assert.match(providerError(endless.error, 'bad-response').message, /event longer than 1048576 characters/);

    write = (res) => res.end(`data: {"choices":${'['.repeat(10_000)}${']'.repeat(10_000)}}\n\n`);
    const deep = await collectUntilError(llm.chat({ messages: USER }));
    assert.match(providerError(deep.error, 'bad-response').message, /over the JSON limits \(\$\.choices.*nested deeper than 32\)/);
    assert.equal(deep.error instanceof ProviderError && isRetryable(deep.error), false);

    write = (res) => {
      const part = { index: 0, id: 'call_1', function: { name: 'get_balance', arguments: '"' + 'a'.repeat(40 * 1024) } };
      res.write(chunk({ tool_calls: [part] }));
      res.end(chunk({ tool_calls: [{ index: 0, function: { arguments: 'a'.repeat(40 * 1024) } }] }));
    };
    const args = await collectUntilError(llm.chat({ messages: USER }));
    assert.match(providerError(args.error, 'bad-response').message, /arguments longer than 65536 characters/);

    write = (res) => res.end('data: {"choices":[{"index":0,"delta":{"content":"ok","__proto__":{"polluted":true}}}],"constructor":{"prototype":{"polluted":true}}}\n\ndata: [DONE]\n\n');
    const clean = await collect(llm.chat({ messages: USER }));
    assert.deepEqual(clean, [{ type: 'text', text: 'ok' }, { type: 'done', finishReason: 'stop' }]);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('max_completion_tokens by default for OpenAI and Groq, max_tokens for other endpoints, either when configured', async () => {
  const { defaultMaxTokensField } = await import('../../src/providers/llm/openai-wire.js');
  assert.equal(defaultMaxTokensField('https://api.openai.com/v1/chat/completions'), 'max_completion_tokens');
  assert.equal(defaultMaxTokensField('https://api.groq.com/openai/v1/chat/completions'), 'max_completion_tokens');
  assert.equal(defaultMaxTokensField('http://127.0.0.1:11434/v1/chat/completions'), 'max_tokens');
  assert.equal(defaultMaxTokensField('https://res.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21'), 'max_tokens');
  // What goes on the wire: the fake stands in for api.openai.com through a custom fetch.
  await withFake({}, async (fake, _model, { baseUrl }) => {
    const viaOpenAiHost: typeof fetch = (input, init) => fetch(String(input).replace('https://api.openai.com/v1', baseUrl), init);
    const openai = new OpenAICompatibleLanguageModel({ baseUrl: 'https://api.openai.com/v1', apiKey: KEY, model: 'gpt-4o-mini', fetch: viaOpenAiHost });
    await collect(openai.chat({ messages: USER, maxTokens: 64 }));
    assert.equal(fake.requests[0]!.body.max_completion_tokens, 64);
    assert.equal('max_tokens' in fake.requests[0]!.body, false);
    const legacy = new OpenAICompatibleLanguageModel({ baseUrl: 'https://api.openai.com/v1', apiKey: KEY, model: 'gpt-4o-mini', fetch: viaOpenAiHost, maxTokensField: 'max_tokens' });
    await collect(legacy.chat({ messages: USER, maxTokens: 32 }));
    assert.equal(fake.requests[1]!.body.max_tokens, 32);
    assert.equal('max_completion_tokens' in fake.requests[1]!.body, false);
  });
});
