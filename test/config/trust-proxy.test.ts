import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/env.js';

test('TRUST_PROXY: private networks by default; true, false, addresses and ranges; anything else refused by name', () => {
  assert.deepEqual(loadConfig({}).trustProxy, ['loopback', 'linklocal', 'uniquelocal']);
  assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  assert.equal(loadConfig({ TRUST_PROXY: 'FALSE' }).trustProxy, false);
  assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.7 ,::1,fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.0.2.7', '::1', 'fd00::/8']);
  for (const bad of ['10.0.0.0/33', 'example.com', '2', '::1/129', ',', '1.2.3.4/x']) {
    assert.throws(() => loadConfig({ TRUST_PROXY: bad }), (err: unknown) => err instanceof ConfigError && /TRUST_PROXY/.test(err.message), bad);
  }
});
