import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/providers/worker-pool.js';
import { ProviderError } from '../../src/providers/errors.js';

const script = new URL('./fixtures/test.worker.mjs', import.meta.url);

interface Done {
  id: number;
  threadId: number;
  out: Int16Array;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

test('N parallel jobs on a pool of 2 all complete, on at most 2 threads', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 2 });
  try {
    const jobs = Array.from({ length: 8 }, (_, id) => pool.run<Done>({ op: 'block', id, ms: 20 }));
    assert.deepEqual(pool.stats(), { size: 2, workers: 2, busy: 2, queued: 6, pinned: 0 });
    const done = await Promise.all(jobs);
    assert.deepEqual(
      done.map((d) => d.id),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.ok(done.every((d) => d.out instanceof Int16Array && d.out[0] === d.id), 'transferred result arrives');
    assert.equal(new Set(done.map((d) => d.threadId)).size, 2);
    assert.deepEqual(pool.stats(), { size: 2, workers: 2, busy: 0, queued: 0, pinned: 0 });
  } finally {
    await pool.close();
  }
});

test('aborting a queued job drops it; the rest still run in order', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1 });
  try {
    const a = pool.run<Done>({ op: 'block', id: 1, ms: 50 });
    const ac = new AbortController();
    const b = pool.run<Done>({ op: 'echo', id: 2 }, { signal: ac.signal });
    const c = pool.run<Done>({ op: 'echo', id: 3 });
    ac.abort();
    await assert.rejects(b, isAbort);
    assert.equal((await a).id, 1);
    assert.equal((await c).id, 3);
    const { ran } = await pool.run<{ ran: number[] }>({ op: 'history' });
    assert.deepEqual(ran, [1, 3]);
  } finally {
    await pool.close();
  }
});

test('aborting a running job rejects at once and discards its result; the worker is reused', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1 });
  try {
    const ac = new AbortController();
    const a = pool.run<Done>({ op: 'block', id: 1, ms: 100 }, { signal: ac.signal });
    const b = pool.run<Done>({ op: 'echo', id: 2 });
    ac.abort(new Error('caller hung up'));
    await assert.rejects(a, /caller hung up/);
    assert.equal(pool.stats().busy, 1, 'the worker is still finishing the aborted job');
    assert.equal((await b).id, 2);
    const { ran } = await pool.run<{ ran: number[] }>({ op: 'history' });
    assert.deepEqual(ran, [1, 2]);
  } finally {
    await pool.close();
  }
});

test('an already-aborted signal rejects without queueing', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1 });
  try {
    await assert.rejects(pool.run({ op: 'echo', id: 1 }, { signal: AbortSignal.abort() }), isAbort);
    assert.deepEqual(pool.stats(), { size: 1, workers: 0, busy: 0, queued: 0, pinned: 0 });
  } finally {
    await pool.close();
  }
});

test('a full queue rejects with queue-full', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1, maxQueue: 1 });
  try {
    const a = pool.run({ op: 'block', id: 1, ms: 30 });
    const b = pool.run({ op: 'echo', id: 2 });
    await assert.rejects(pool.run({ op: 'echo', id: 3 }), (e) => e instanceof ProviderError && e.code === 'queue-full');
    await Promise.all([a, b]);
  } finally {
    await pool.close();
  }
});

test('engine errors keep their code; a crashed worker fails its job and is replaced', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1 });
  try {
    await assert.rejects(pool.run({ op: 'fail', id: 1 }), (e) => e instanceof ProviderError && e.code === 'invalid-input' && /job 1 failed/.test(e.message));
    const crashed = pool.run({ op: 'crash', id: 2 });
    const after = pool.run<Done>({ op: 'echo', id: 3 });
    await assert.rejects(crashed, (e) => e instanceof ProviderError && e.code === 'engine-failed' && /exited with code 3/.test(e.message));
    assert.equal((await after).id, 3);
    const { ran } = await pool.run<{ ran: number[] }>({ op: 'history' });
    assert.deepEqual(ran, [3], 'a fresh worker ran the queued job');
  } finally {
    await pool.close();
  }
});

test('close rejects pending jobs and later runs', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1 });
  const isClosed = (e: unknown) => e instanceof ProviderError && e.code === 'closed';
  const pending = [pool.run({ op: 'block', id: 1, ms: 30 }), pool.run({ op: 'echo', id: 2 })].map((p) => assert.rejects(p, isClosed));
  await pool.close();
  await Promise.all(pending);
  await assert.rejects(pool.run({ op: 'echo', id: 3 }), isClosed);
});
