import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { DEFAULT_HTTP_TIMEOUTS } from '../../src/http/server.js';
import { startGateway } from '../helpers/gateway.js';

test('the documented time-outs are the ones the server runs with', async () => {
  assert.deepEqual(DEFAULT_HTTP_TIMEOUTS, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 65_000, connectionTimeoutMs: 60_000 });
  const gw = await startGateway();
  try {
    const server = gw.gateway.app.server;
    assert.equal(server.headersTimeout, 10_000);
    assert.equal(server.requestTimeout, 30_000);
    assert.equal(server.keepAliveTimeout, 65_000);
    assert.equal(server.timeout, 60_000);
  } finally {
    await gw.close();
  }
});

/** Opens a raw socket, sends `head`, then one more header byte every `everyMs` until the server hangs up. */
function trickle(port: number, head: string, everyMs: number): Promise<{ answer: string; bytesTrickled: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let bytesTrickled = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', () => {}); // a reset after the 408 is the server hanging up too
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, bytesTrickled });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (socket.destroyed || !socket.writable) return;
        socket.write('a');
        // A safety net far above the configured limit, so a broken time-out fails instead of hanging.
        if (++bytesTrickled > 600) {
          clearInterval(timer);
          socket.destroy();
          reject(new Error('the server never cut the slow client off'));
        }
      }, everyMs);
    });
  });
}

test('a client trickling its headers a byte at a time is cut off with a 408', async () => {
  const gw = await startGateway({}, undefined, { httpTimeouts: { headersTimeoutMs: 400, requestTimeoutMs: 0, connectionTimeoutMs: 0 } });
  try {
    const port = Number(new URL(gw.base).port);
    const { answer, bytesTrickled } = await trickle(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', 50);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(bytesTrickled < 600);
    // The server still answers a well-behaved client.
    assert.equal((await fetch(`${gw.base}/health`)).status, 200);
  } finally {
    await gw.close();
  }
});

test('a body trickled after complete headers is cut off by the request time-out', async () => {
  const gw = await startGateway({}, undefined, { httpTimeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600, connectionTimeoutMs: 0 } });
  try {
    const port = Number(new URL(gw.base).port);
    const head = 'POST /voicebot/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\nCallSid=';
    const { answer } = await trickle(port, head, 50);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  } finally {
    await gw.close();
  }
});
