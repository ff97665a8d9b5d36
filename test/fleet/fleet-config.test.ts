import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { ConfigError, loadConfig } from '../../src/config/env.js';

test('fleet settings: REDIS_URL selects fleet mode, NODE_ID defaults to hostname-pid and is validated, HEARTBEAT_MS is bounded', () => {
  const single = loadConfig({});
  assert.equal(single.redisUrl, undefined, 'no Redis: one node on its own');
  assert.equal(single.heartbeatMs, 3000);
  assert.match(single.nodeId, /^[A-Za-z0-9._-]{1,64}$/);
  assert.ok(single.nodeId.endsWith(`-${process.pid}`));
  assert.ok(single.nodeId.startsWith(hostname().slice(0, 8).replace(/[^A-Za-z0-9._-]/g, '_')));

  const fleet = loadConfig({ REDIS_URL: 'redis://:secret@10.0.0.5:6379/2', NODE_ID: 'web-1.eu', HEARTBEAT_MS: '1000' });
  assert.equal(fleet.redisUrl, 'redis://:secret@10.0.0.5:6379/2');
  assert.equal(fleet.nodeId, 'web-1.eu');
  assert.equal(fleet.heartbeatMs, 1000);
  assert.equal(loadConfig({ REDIS_URL: 'rediss://cache.example.com:6380' }).redisUrl, 'rediss://cache.example.com:6380');

  assert.throws(() => loadConfig({ NODE_ID: 'web 1' }), (e: unknown) => e instanceof ConfigError && /NODE_ID: must be 1-64 letters/.test(e.message));
  assert.throws(() => loadConfig({ NODE_ID: 'x'.repeat(65) }), /NODE_ID/);
  for (const bad of ['http://127.0.0.1:6379', 'redis://', 'redis:// host', '127.0.0.1:6379']) {
    assert.throws(() => loadConfig({ REDIS_URL: bad }), /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/, bad);
  }
  assert.throws(() => loadConfig({ HEARTBEAT_MS: '50' }), /HEARTBEAT_MS: must be an integer from 200 to 60000/);
});
