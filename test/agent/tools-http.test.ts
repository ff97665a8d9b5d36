// HTTP webhook tools against a real loopback server: what goes out (method, body or query, headers), what comes back
// to the model (parsed JSON, text, or `{ error }`), and that nothing secret leaks into results.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpTool, type HttpToolOptions } from '../../src/agent/tools/http-tool.js';
import type { ToolContext } from '../../src/agent/tools/types.js';
import type { CallControl } from '../../src/conversation/call-contract.js';
import { freePort } from '../helpers/gateway.js';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
const closedEarly: string[] = [];
let base = '';
const TOKEN = 'crm-secret-token-123456';

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    seen.push({ method: req.method!, path: req.url!, headers: req.headers, body });
    route(req, res, body);
  });
  res.on('close', () => {
    if (!res.writableFinished) closedEarly.push(req.url!);
  });
});

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url!, 'http://x');
  switch (url.pathname) {
    case '/orders':
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(res, 401, { message: 'bad token' });
      return json(res, 200, { received: JSON.parse(body || 'null'), status: 'shipped' });
    case '/lookup':
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(`query ${url.search}\n`);
    case '/missing':
      return json(res, 404, { detail: 'no such order' });
    case '/crash':
      res.writeHead(500, { 'content-type': 'text/html' });
      return void res.end(`<html>${'x'.repeat(2000)}</html>`);
    case '/empty':
      res.writeHead(204);
      return void res.end();
    case '/broken-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"status": ');
    case '/huge':
      // Chunked, no content-length: the cap must hold while reading.
      res.writeHead(200, { 'content-type': 'text/plain' });
      for (let i = 0; i < 80; i++) res.write('y'.repeat(1024));
      return void res.end();
    case '/huge-declared':
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(100 * 1024) });
      return void res.end('z'.repeat(100 * 1024));
    case '/redirect':
      res.writeHead(302, { location: `${base}/orders` });
      return void res.end();
    case '/deep':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`${'['.repeat(5000)}${']'.repeat(5000)}`);
    case '/wide':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(Array.from({ length: 20_000 }, () => 0)));
    case '/polluting':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"status":"shipped","__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}');
    case '/hang':
      return; // never answers
    default:
      return json(res, 404, {});
  }
}

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const ORDER_PARAMS = {
  type: 'object',
  properties: {
    order_id: { type: 'string', pattern: '^[0-9]{5}$', description: 'Five digits' },
    channel: { type: 'string', enum: ['phone', 'web'] },
    items: { type: 'array', items: { type: 'integer', minimum: 1 } },
  },
  required: ['order_id'],
} as const;

function tool(overrides: Partial<HttpToolOptions> = {}) {
  return createHttpTool({
    name: 'order_status',
    description: 'Look an order up',
    parameters: ORDER_PARAMS as unknown as HttpToolOptions['parameters'],
    method: 'POST',
    url: `${base}/orders`,
    headers: { Authorization: `Bearer ${TOKEN}` },
    ...overrides,
  });
}

// The tool never touches the call; the context carries it for tools that do.
function ctx(signal = new AbortController().signal): ToolContext {
  return { call: {} as CallControl, callId: 'call_1', signal };
}

function assertNoSecrets(result: unknown): void {
  const text = JSON.stringify(result);
  assert.ok(!text.includes(TOKEN), 'the token stays out of results');
  assert.ok(!text.includes('127.0.0.1'), 'the URL stays out of results');
}

test('POST sends the arguments as JSON with the configured headers and returns the parsed answer', async () => {
  seen.length = 0;
  const t = tool({ filler: 'One moment.', fillerAfterMs: 800 });
  assert.equal(t.spec.name, 'order_status');
  assert.deepEqual(t.spec.parameters, ORDER_PARAMS);
  assert.equal(t.filler, 'One moment.');
  assert.equal(t.fillerAfterMs, 800);
  const result = await t.run({ order_id: '12345', items: [1, 2] }, ctx());
  assert.deepEqual(result, { received: { order_id: '12345', items: [1, 2] }, status: 'shipped' });
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].headers['content-type'], 'application/json');
  assert.equal(seen[0].headers.authorization, `Bearer ${TOKEN}`);
});

test('PUT and PATCH send a JSON body too', async () => {
  for (const method of ['PUT', 'PATCH'] as const) {
    seen.length = 0;
    assert.deepEqual(await tool({ method }).run({ order_id: '24680' }, ctx()), { received: { order_id: '24680' }, status: 'shipped' });
    assert.equal(seen[0].method, method);
  }
});

test('GET sends the arguments as query parameters (arrays repeated) and returns text answers as text', async () => {
  seen.length = 0;
  const result = await tool({ method: 'GET', url: `${base}/lookup?source=ivr` }).run({ order_id: '11111', channel: 'phone', items: [3, 4] }, ctx());
  assert.equal(result, 'query ?source=ivr&order_id=11111&channel=phone&items=3&items=4');
  assert.equal(seen[0].method, 'GET');
  assert.equal(seen[0].body, '');
  assert.equal(seen[0].headers['content-type'], undefined);
});

test('arguments that do not fit the schema come back as an error the model can act on, and nothing is sent', async () => {
  seen.length = 0;
  const t = tool();
  assert.deepEqual(await t.run({ order_id: 12345 }, ctx()), { error: 'invalid arguments: order_id: must be a string, got an integer' });
  assert.deepEqual(await t.run({}, ctx()), { error: 'invalid arguments: order_id: is required' });
  assert.deepEqual(await t.run(undefined, ctx()), { error: 'invalid arguments: order_id: is required' });
  assert.deepEqual(await t.run({ order_id: '123' }, ctx()), { error: 'invalid arguments: order_id: must match ^[0-9]{5}$' });
  assert.deepEqual(await t.run({ order_id: '12345', channel: 'fax', items: [0, 'x'] }, ctx()), {
    error: 'invalid arguments: channel: must be one of "phone", "web"; items[0]: must be ≥ 1; items[1]: must be an integer, got a string',
  });
  assert.deepEqual(await t.run('12345', ctx()), { error: 'invalid arguments: (arguments): must be an object, got a string' });
  assert.equal(seen.length, 0);
});

test('HTTP errors come back with the status and the (clipped) body', async () => {
  const missing = await tool({ url: `${base}/missing` }).run({ order_id: '99999' }, ctx());
  assert.deepEqual(missing, { error: 'order_status answered HTTP 404', status: 404, body: { detail: 'no such order' } });
  const crash = (await tool({ url: `${base}/crash` }).run({ order_id: '99999' }, ctx())) as { error: string; status: number; body: string };
  assert.equal(crash.error, 'order_status answered HTTP 500');
  assert.equal(crash.body.length, 501);
  const refused = await tool({ headers: { Authorization: 'Bearer wrong-but-secret-999' } }).run({ order_id: '12345' }, ctx());
  assert.deepEqual(refused, { error: 'order_status answered HTTP 401', status: 401, body: { message: 'bad token' } });
  for (const r of [missing, crash, refused]) assertNoSecrets(r);
});

test('an empty answer is a success; invalid JSON is an error', async () => {
  assert.deepEqual(await tool({ url: `${base}/empty` }).run({ order_id: '12345' }, ctx()), { ok: true, status: 204 });
  assert.deepEqual(await tool({ url: `${base}/broken-json` }).run({ order_id: '12345' }, ctx()), {
    error: 'order_status answered with invalid JSON',
    status: 200,
    body: '{"status": ',
  });
});

test('JSON answers are parsed within limits: a depth bomb or too many items is an error result, polluting keys are dropped', async () => {
  const deep = (await tool({ url: `${base}/deep`, maxResponseBytes: 64 * 1024 }).run({ order_id: '12345' }, ctx())) as { error: string };
  assert.match(deep.error, /order_status answered JSON over the limits \(\$.*nested deeper than 32\)/);
  const wide = (await tool({ url: `${base}/wide`, maxResponseBytes: 64 * 1024 }).run({ order_id: '12345' }, ctx())) as { error: string };
  assert.match(wide.error, /over the limits \(\$: more than 10000 items\)/);
  const clean = (await tool({ url: `${base}/polluting` }).run({ order_id: '12345' }, ctx())) as Record<string, unknown>;
  assert.deepEqual(Object.keys(clean), ['status']);
  assert.equal(Object.getPrototypeOf(clean), Object.prototype);
  assert.equal(({} as { isAdmin?: unknown }).isAdmin, undefined);
  assertNoSecrets([deep, wide, clean]);
});

test('answers over the size cap are refused, whether declared or streamed', async () => {
  for (const path of ['/huge', '/huge-declared']) {
    const result = await tool({ url: `${base}${path}`, maxResponseBytes: 64 * 1024 }).run({ order_id: '12345' }, ctx());
    assert.deepEqual(result, { error: 'order_status answered more than 65536 bytes' }, path);
  }
});

test('a service that does not answer in time is a time-out error, and the request is dropped', async () => {
  closedEarly.length = 0;
  const result = await tool({ url: `${base}/hang`, timeoutMs: 100 }).run({ order_id: '12345' }, ctx());
  assert.deepEqual(result, { error: 'order_status did not answer within 100 ms' });
  await waitUntil(() => closedEarly.includes('/hang'));
});

test('an abort (barge-in, hang-up) stops the request and rejects with the abort reason', async () => {
  closedEarly.length = 0;
  seen.length = 0;
  const ac = new AbortController();
  const pending = tool({ url: `${base}/hang` }).run({ order_id: '12345' }, ctx(ac.signal));
  await waitUntil(() => seen.some((s) => s.path === '/hang'));
  ac.abort(new Error('caller barged in'));
  await assert.rejects(pending, /caller barged in/);
  await waitUntil(() => closedEarly.includes('/hang'));
  await assert.rejects(tool().run({ order_id: '12345' }, ctx(ac.signal)), /caller barged in/);
});

test('redirects are not followed (they could carry the headers elsewhere); unreachable services are errors', async () => {
  seen.length = 0;
  const redirected = await tool({ url: `${base}/redirect` }).run({ order_id: '12345' }, ctx());
  assert.deepEqual(redirected, { error: 'order_status could not be reached (unexpected redirect)' });
  assert.deepEqual(
    seen.map((s) => s.path),
    ['/redirect'],
  );
  const port = await freePort();
  const refused = await tool({ url: `http://127.0.0.1:${port}/orders?token=${TOKEN}` }).run({ order_id: '12345' }, ctx());
  assert.deepEqual(refused, { error: 'order_status could not be reached (ECONNREFUSED)' });
  assertNoSecrets(redirected);
  assertNoSecrets(refused);
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not met');
}
