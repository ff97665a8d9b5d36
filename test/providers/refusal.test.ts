// The one mapping of a provider's refusal (HTTP status, upgrade refusal, WebSocket close) to ProviderError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { ProviderError, isRetryable } from '../../src/providers/errors.js';
import {
  MAX_REFUSAL_BODY_BYTES,
  closeError,
  codeForStatus,
  isRetryableStatus,
  readResponseText,
  redactSecrets,
  refusalError,
  retryAfterSec,
  summarizeErrorBody,
  upgradeRefusal,
} from '../../src/providers/refusal.js';

const headers = (h: Record<string, string>) => (name: string) => h[name];

test('status codes: 408, 425, 429 and 5xx are retryable; 400/401/403/404/413/422 and other 4xx are not', () => {
  const table: [number, string, boolean][] = [
    [400, 'invalid-input', false],
    [401, 'unauthorized', false],
    [403, 'unauthorized', false],
    [404, 'invalid-input', false],
    [408, 'timeout', true],
    [409, 'bad-response', false],
    [413, 'invalid-input', false],
    [422, 'invalid-input', false],
    [425, 'server', true],
    [429, 'rate-limited', true],
    [500, 'server', true],
    [502, 'server', true],
    [503, 'server', true],
    [599, 'server', true],
    [302, 'bad-response', false],
  ];
  for (const [status, code, retryable] of table) {
    assert.equal(codeForStatus(status), code, `HTTP ${status}`);
    assert.equal(isRetryableStatus(status), retryable, `HTTP ${status}`);
  }
});

test('Retry-After: delta-seconds, an HTTP date, and OpenAI retry-after-ms first; junk is ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterSec(headers({ 'retry-after': '7' }), now), 7);
  assert.equal(retryAfterSec(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now), 30);
  assert.equal(retryAfterSec(headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now), 0);
  assert.equal(retryAfterSec(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now), 1.5);
  assert.equal(retryAfterSec(headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(retryAfterSec(headers({ 'retry-after': '-3' }), now), undefined);
  assert.equal(retryAfterSec(headers({}), now), undefined);
});

test('error bodies: the providers\' shapes are summarised; markup and over-limit JSON are not echoed', () => {
  assert.deepEqual(summarizeErrorBody('{"error":{"message":"Bad key","type":"invalid_request_error","code":"invalid_api_key"}}'), {
    message: 'Bad key',
    type: 'invalid_request_error',
    providerCode: 'invalid_api_key',
  });
  assert.deepEqual(summarizeErrorBody('{"error":"plain"}'), { message: 'plain' });
  assert.equal(summarizeErrorBody('{"object":"error","message":"vLLM says no","code":400}').message, 'vLLM says no');
  assert.deepEqual(summarizeErrorBody('{"detail":{"status":"voice_not_found","message":"No voice"}}'), { message: 'voice_not_found: No voice', providerCode: 'voice_not_found' });
  assert.equal(summarizeErrorBody('{"detail":[{"msg":"field required","loc":["body","text"]}]}').message, 'body.text: field required');
  assert.deepEqual(summarizeErrorBody('{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}'), { message: 'Invalid credentials.', providerCode: 'INVALID_AUTH' });
  assert.deepEqual(summarizeErrorBody('<html><body>502 Bad Gateway</body></html>'), {});
  assert.deepEqual(summarizeErrorBody('upstream timed out\nsecond line'), { message: 'upstream timed out' });
  // A depth bomb is not JSON we read: its text is not a message either (it starts with a brace, not words).
  const bomb = `{"error":${'['.repeat(100)}${']'.repeat(100)}}`;
  assert.equal(summarizeErrorBody(bomb).providerCode, undefined);
  // Polluting keys never reach the summary.
  assert.deepEqual(summarizeErrorBody('{"__proto__":{"message":"polluted"},"message":"real"}'), { message: 'real', providerCode: undefined });
  // A provider-specific reader wins, and may name the code.
  assert.deepEqual(summarizeErrorBody('{"x":1}', () => ({ message: 'custom', code: 'unknown-voice' })), { message: 'custom', code: 'unknown-voice' });
});

test('secrets are masked: the configured ones, sk- keys (even partly masked ones) and bearer tokens; clipped', () => {
  const out = redactSecrets('key plainSECRET42 then sk-proj-abc***wxyz and Bearer abcdefgh1jklmnop', ['plainSECRET42']);
  assert.equal(out, 'key *** then sk-*** and Bearer ***');
  assert.equal(redactSecrets('Token verification failed', []), 'Token verification failed');
  assert.equal(redactSecrets('x'.repeat(1000), []).length, 301);
});

test('refusalError: code, details and a message with the provider\'s words and no secret', () => {
  const limited = refusalError({
    provider: 'elevenlabs',
    status: 429,
    header: headers({ 'retry-after': '3', 'x-request-id': 'req_1' }),
    body: '{"detail":{"status":"too_many_concurrent_requests","message":"Too many for key sk-live-123456"}}',
    secrets: ['sk-live-123456'],
    requestIdHeader: 'x-request-id',
  });
  assert.equal(limited.code, 'rate-limited');
  assert.equal(isRetryable(limited), true);
  assert.deepEqual(limited.details, { status: 429, providerCode: 'too_many_concurrent_requests', requestId: 'req_1', retryAfterSec: 3 });
  assert.equal(limited.message, 'elevenlabs answered HTTP 429: too_many_concurrent_requests: Too many for key ***');

  // A reader's code applies to a non-retryable 4xx, never to a retryable status or an auth failure.
  const reader = () => ({ message: 'no such voice', code: 'unknown-voice' as const });
  assert.equal(refusalError({ provider: 'p', status: 400, header: headers({}), body: '{}', secrets: [], reader }).code, 'unknown-voice');
  assert.equal(refusalError({ provider: 'p', status: 503, header: headers({}), body: '{}', secrets: [], reader }).code, 'server');
  assert.equal(refusalError({ provider: 'p', status: 401, header: headers({}), body: '{}', secrets: [], reader }).code, 'unauthorized');
  // Retry-After is only kept where a retry makes sense; with no body the status text is the message.
  const bad = refusalError({ provider: 'p', status: 400, statusText: 'Bad Request', header: headers({ 'retry-after': '3' }), body: '', secrets: [] });
  assert.deepEqual(bad.details, { status: 400 });
  assert.equal(bad.message, 'p answered HTTP 400: Bad Request');
  // A header message (Deepgram's dg-error) is preferred over the body's.
  assert.match(refusalError({ provider: 'Deepgram', status: 400, header: headers({}), body: '{"err_msg":"body"}', secrets: [], headerMessage: 'No such model' }).message, /HTTP 400: No such model$/);
});

test('error bodies are read within 4 KB, over HTTP and on a refused WebSocket upgrade', async () => {
  let served = 0;
  const server = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    const pump = () => {
      while (served < 64 * 1024 * 1024 && res.write('y'.repeat(16 * 1024))) served += 16 * 1024;
      if (served < 64 * 1024 * 1024) res.once('drain', pump);
      else res.end();
    };
    pump();
  });
  server.on('upgrade', (_req, socket) => {
    socket.end(`HTTP/1.1 429 Too Many Requests\r\nretry-after: 2\r\ncontent-type: application/json\r\nx-request-id: req_up\r\n\r\n${JSON.stringify({ error: { message: `slow down ${'z'.repeat(10_000)}`, code: 'rate_limit_exceeded' } })}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const text = await readResponseText(res);
    assert.equal(text.length, MAX_REFUSAL_BODY_BYTES);
    assert.ok(served < 64 * 1024 * 1024, 'the rest of the body was not read');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('error', () => {});
    const res2 = await new Promise<IncomingMessage>((resolve) => ws.on('unexpected-response', (_req, r) => resolve(r)));
    const err = await upgradeRefusal(res2, { provider: 'realtime', secrets: [], requestIdHeader: 'x-request-id' });
    assert.ok(err instanceof ProviderError);
    assert.equal(err.code, 'rate-limited');
    // The JSON was cut at 4 KB, so it is not parsed: its first line is summarised, clipped.
    assert.deepEqual(err.details, { status: 429, requestId: 'req_up', retryAfterSec: 2 });
    assert.ok(err.message.length < 400, err.message);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('close codes: 1008/1009 refuse what was sent (not retryable); drops, server errors and restarts are connection-lost', () => {
  for (const code of [1008, 1009]) {
    const err = closeError('Deepgram', code, 'DATA-0000');
    assert.equal(err.code, 'invalid-input');
    assert.equal(isRetryable(err), false);
    assert.deepEqual(err.details, { closeCode: code, reason: 'DATA-0000' });
  }
  for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4000]) {
    const err = closeError('realtime', code, '', { providerCode: 'x' });
    assert.equal(err.code, 'connection-lost', String(code));
    assert.equal(isRetryable(err), true);
    assert.equal(err.details?.providerCode, 'x');
  }
  assert.equal(closeError('p', 1011, 'NET-0001 idle').message, 'p dropped the connection (1011 NET-0001 idle)');
});
