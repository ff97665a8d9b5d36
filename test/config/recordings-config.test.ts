import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/env.js';

test('recordings are off by default, with 30 days of retention and a 10 GB cap', () => {
  assert.deepEqual(loadConfig({}).recordings, { enabled: false, retentionDays: 30, maxMb: 10240 });
  assert.deepEqual(loadConfig({ RECORD_CALLS: 'ON', RECORDING_RETENTION_DAYS: '0', RECORDINGS_MAX_MB: '500' }).recordings, {
    enabled: true,
    retentionDays: 0,
    maxMb: 500,
  });
});

test('a bad recording setting stops start-up naming the variable', () => {
  for (const [name, value] of [['RECORD_CALLS', 'yes'], ['RECORDING_RETENTION_DAYS', '-1'], ['RECORDINGS_MAX_MB', '1.5']]) {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.message.includes(`${name}:`), name);
  }
});
