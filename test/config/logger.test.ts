import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env.js';
import { createLogger, resolveLogFormat } from '../../src/observability/logger.js';

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  w.isTTY = isTTY;
  w.text = () => out;
  return w;
}

test('LOG_FORMAT: auto by default; json and pretty override; anything else is a clear error', () => {
  assert.equal(loadConfig({}).logFormat, 'auto');
  assert.equal(loadConfig({ LOG_FORMAT: 'JSON' }).logFormat, 'json');
  assert.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
  assert.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), /LOG_FORMAT: must be json, pretty or auto/);
  assert.equal(resolveLogFormat('auto', { isTTY: true }), 'pretty');
  assert.equal(resolveLogFormat('auto', { isTTY: false }), 'json');
  assert.equal(resolveLogFormat('auto', {}), 'json');
  assert.equal(resolveLogFormat('json', { isTTY: true }), 'json');
});

test('a terminal gets human-readable lines, anything else JSON; secrets are masked in both', () => {
  const cases = [
    { format: 'auto', isTTY: true, pretty: true },
    { format: 'auto', isTTY: false, pretty: false },
    { format: 'pretty', isTTY: false, pretty: true },
    { format: 'json', isTTY: true, pretty: false },
  ] as const;
  for (const c of cases) {
    const out = sink(c.isTTY);
    const log = createLogger('info', { format: c.format, destination: out });
    log.info({ token: 'secret-token-value', req: { method: 'GET', url: '/x?token=abc', headers: { authorization: 'Bearer zzz' } } }, 'hello there');
    log.flush();
    const text = out.text();
    assert.ok(!text.includes('secret-token-value') && !text.includes('token=abc') && !text.includes('zzz'), `${c.format}/${c.isTTY}: ${text}`);
    if (c.pretty) {
      assert.throws(() => JSON.parse(text.trim()), `${c.format}/${c.isTTY} is not JSON`);
      assert.match(text, /INFO.*hello there/);
    } else {
      const line = JSON.parse(text.trim()) as { level: number; msg: string };
      assert.deepEqual([line.level, line.msg], [30, 'hello there']);
    }
  }
});
