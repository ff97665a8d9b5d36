import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig } from '../../src/config/env.js';

test('the offline recogniser defaults to one worker per core, 8 decoders each, batch normalization, loop pass at the end', () => {
  assert.deepEqual(loadConfig({}).stt, { workers: availableParallelism(), decodersPerWorker: 8, cmn: 'batch', loopPass: 'finish' });
  assert.deepEqual(loadConfig({ STT_WORKERS: '3', STT_DECODERS_PER_WORKER: '12', STT_CMN: 'LIVE', STT_LOOP_PASS: 'stream' }).stt, {
    workers: 3,
    decodersPerWorker: 12,
    cmn: 'live',
    loopPass: 'stream',
  });
  assert.equal(loadConfig({ STT_WORKERS: 'auto' }).stt.workers, availableParallelism());
});

test('a bad recogniser setting stops start-up naming the variable', () => {
  for (const [name, value] of [['STT_WORKERS', '0'], ['STT_WORKERS', 'two'], ['STT_DECODERS_PER_WORKER', '65'], ['STT_CMN', 'prior'], ['STT_LOOP_PASS', 'never']]) {
    assert.throws(() => loadConfig({ [name]: value }), (err: unknown) => err instanceof ConfigError && err.message.includes(`${name}:`), `${name}=${value}`);
  }
});
