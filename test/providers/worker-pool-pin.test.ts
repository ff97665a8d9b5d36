import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/providers/worker-pool.js';
import { ProviderError } from '../../src/providers/errors.js';

const script = new URL('./fixtures/test.worker.mjs', import.meta.url);

interface Done {
  id: number;
  threadId: number;
}

test('pinned jobs run in order on their worker, ahead of the shared queue; an affinity keeps its worker', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 2 });
  try {
    const call = {};
    const a = pool.pin(call);
    const b = pool.pin({});
    const jobs = [1, 2, 3].map((id) => a.run<Done>({ op: 'block', id, ms: 10 }));
    const shared = pool.run<Done>({ op: 'block', id: 9, ms: 1 });
    const other = await b.run<Done>({ op: 'block', id: 4, ms: 1 });
    const done = await Promise.all(jobs);
    assert.equal(new Set(done.map((d) => d.threadId)).size, 1, 'one worker for the pin');
    assert.notEqual(other.threadId, done[0]!.threadId, 'another pin, another worker');
    const again = pool.pin(call);
    assert.equal((await again.run<Done>({ op: 'block', id: 5, ms: 1 })).threadId, done[0]!.threadId);
    await shared;
    const { ran } = await a.run<{ ran: number[] }>({ op: 'history' });
    assert.deepEqual(
      ran.filter((id) => id !== 9),
      [1, 2, 3, 5],
    );
    assert.equal(pool.stats().pinned, 3);
    for (const p of [a, b, again]) p.release();
    a.release(); // twice is once
    assert.equal(pool.stats().pinned, 0);
  } finally {
    await pool.close();
  }
});

test('a worker that dies fails its pinned jobs and later ones; a pinned worker is not recycled', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1, recycle: { afterJobs: 1 } });
  try {
    const pin = pool.pin();
    const first = await pin.run<Done>({ op: 'block', id: 1, ms: 1 });
    const second = await pin.run<Done>({ op: 'block', id: 2, ms: 1 });
    assert.equal(second.threadId, first.threadId, 'held state: not replaced after its job');
    assert.deepEqual(pool.recycled(), { jobs: 0, 'wasm-memory': 0, heap: 0 });
    const crash = pin.run({ op: 'crash', id: 3 });
    const queued = pin.run({ op: 'block', id: 4, ms: 1 });
    for (const p of [crash, queued]) await assert.rejects(p, (e: unknown) => e instanceof ProviderError && e.code === 'engine-failed');
    await assert.rejects(pin.run({ op: 'block', id: 5, ms: 1 }), /gone/);
    pin.release();
    // The pool itself goes on with a fresh worker.
    assert.equal((await pool.run<Done>({ op: 'block', id: 6, ms: 1 })).id, 6);
  } finally {
    await pool.close();
  }
});
