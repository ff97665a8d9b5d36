// WorkerPool recycling with a small real worker (fixtures/test.worker.mjs). Its "engine load" waits on a shared
// gate the test opens and closes, so the order of events is fixed without timing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { WorkerPool, sharedWorkerPool } from '../../src/providers/worker-pool.js';
import { registerWorkerPoolMetrics } from '../../src/providers/worker-pool-metrics.js';
import { ProviderError } from '../../src/providers/errors.js';
import { until } from '../helpers/exotel-socket.js';

const script = new URL('./fixtures/test.worker.mjs', import.meta.url);
const WAIT_MS = 20_000;

interface Done {
  id: number;
  threadId: number;
}

function gate(open: boolean): { gate: Int32Array; open(): void; close(): void } {
  const g = new Int32Array(new SharedArrayBuffer(4));
  const set = (v: number) => {
    Atomics.store(g, 0, v);
    Atomics.notify(g, 0);
  };
  set(open ? 1 : 0);
  return { gate: g, open: () => set(1), close: () => set(0) };
}

test('a worker is replaced after its Nth job, once idle: every job completes, the next runs on a fresh thread', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1, recycle: { afterJobs: 3 } });
  try {
    const first = [];
    for (let id = 1; id <= 3; id++) first.push(await pool.run<Done>({ op: 'echo', id }));
    assert.deepEqual(first.map((d) => d.id), [1, 2, 3]);
    assert.equal(new Set(first.map((d) => d.threadId)).size, 1, 'the first three on one worker');
    assert.equal(pool.recycled().jobs, 1);
    const fourth = await pool.run<Done>({ op: 'echo', id: 4 });
    assert.notEqual(fourth.threadId, first[0]!.threadId);
    const { ran } = await pool.run<{ ran: number[] }>({ op: 'history' });
    assert.deepEqual(ran, [4], 'the fresh worker ran only what came after');
  } finally {
    await pool.close();
  }
});

test('queued jobs survive recycling: 40 jobs through 2 workers replaced every 3 jobs all complete', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 2, maxQueue: 64, recycle: { afterJobs: 3 } });
  try {
    let maxWorkers = 0;
    const jobs = Array.from({ length: 40 }, (_, id) =>
      pool.run<Done>({ op: 'block', id, ms: 2 }).then((d) => {
        maxWorkers = Math.max(maxWorkers, pool.stats().workers);
        return d;
      }),
    );
    const done = await Promise.all(jobs);
    assert.deepEqual(done.map((d) => d.id), Array.from({ length: 40 }, (_, i) => i));
    // How often depends on how fast replacements load (the other worker serves meanwhile); at least once.
    assert.ok(pool.recycled().jobs >= 1, `recycled ${pool.recycled().jobs} times`);
    assert.ok(maxWorkers <= 2, 'never more workers than the pool size');
  } finally {
    await pool.close();
  }
});

test('a worker reporting more WebAssembly memory than the bound is replaced after that job', async () => {
  const pool = new WorkerPool({ name: 'test', script, size: 1, recycle: { aboveWasmBytes: 1_000_000 } });
  try {
    const small = await pool.run<Done>({ op: 'grow', id: 1, bytes: 500_000 });
    assert.equal(pool.workers()[0]?.wasmBytes, 500_000, 'the pool sees what the worker reported');
    assert.equal(typeof pool.workers()[0]?.heapUsedBytes, 'number');
    const same = await pool.run<Done>({ op: 'grow', id: 2, bytes: 2_000_000 });
    assert.equal(same.threadId, small.threadId, 'the job that crossed the bound finished where it started');
    assert.deepEqual(pool.recycled(), { jobs: 0, 'wasm-memory': 1, heap: 0 });
    const next = await pool.run<Done>({ op: 'echo', id: 3 });
    assert.notEqual(next.threadId, small.threadId);
  } finally {
    await pool.close();
  }
});

test('one replacement at a time: while it loads, the other worker keeps serving and is replaced only afterwards', async () => {
  const g = gate(true);
  const pool = new WorkerPool({ name: 'test', script, size: 2, recycle: { afterJobs: 2 }, workerData: { gate: g.gate } });
  try {
    // Two workers, one job each (the second job finds the first worker busy).
    await Promise.all([pool.run({ op: 'block', id: 1, ms: 50 }), pool.run({ op: 'block', id: 2, ms: 50 })]);
    assert.deepEqual(pool.workers().map((w) => w.jobs), [1, 1]);
    g.close(); // replacements now stay "loading"
    await Promise.all([pool.run({ op: 'block', id: 3, ms: 50 }), pool.run({ op: 'block', id: 4, ms: 50 })]);
    assert.equal(pool.recycled().jobs, 1, 'the second worker to reach its limit waits for the first replacement');
    const [loading, kept] = [pool.workers().find((w) => !w.ready), pool.workers().find((w) => w.ready)];
    assert.equal(loading?.jobs, 0);
    assert.equal(kept?.jobs, 2);
    const served = await pool.run<Done>({ op: 'echo', id: 5 });
    assert.equal(pool.recycled().jobs, 1, 'still kept while the replacement loads');
    g.open();
    await until(() => pool.workers().every((w) => w.ready), WAIT_MS, 'the replacement is ready');
    const last = await pool.run<Done>({ op: 'echo', id: 6 });
    assert.equal(last.threadId, served.threadId, 'the older worker took the next job...');
    assert.equal(pool.recycled().jobs, 2, '...and was replaced after it');
  } finally {
    g.open();
    await pool.close();
  }
});

test('with the queue full, a job goes to a replacement that is still loading rather than being refused', async () => {
  const g = gate(true);
  const pool = new WorkerPool({ name: 'test', script, size: 1, maxQueue: 0, recycle: { afterJobs: 2 }, workerData: { gate: g.gate } });
  try {
    const first = await pool.run<Done>({ op: 'echo', id: 1 });
    g.close();
    await pool.run({ op: 'echo', id: 2 }); // the worker's last job: a replacement starts loading
    assert.equal(pool.workers()[0]?.ready, false);
    const third = pool.run<Done>({ op: 'echo', id: 3 });
    g.open();
    const done = await third;
    assert.equal(done.id, 3);
    assert.notEqual(done.threadId, first.threadId);
  } finally {
    g.open();
    await pool.close();
  }
});

test('recycle bounds must be positive integers; a shared pool refuses a different policy', () => {
  assert.throws(() => new WorkerPool({ name: 'test', script, recycle: { afterJobs: 0 } }), RangeError);
  assert.throws(() => new WorkerPool({ name: 'test', script, recycle: { aboveWasmBytes: 1.5 } }), RangeError);
  const pool = sharedWorkerPool({ name: 'recycle-test', script, recycle: { afterJobs: 10 } });
  assert.equal(sharedWorkerPool({ name: 'recycle-test', script, recycle: { afterJobs: 10 } }), pool);
  assert.throws(
    () => sharedWorkerPool({ name: 'recycle-test', script, recycle: { afterJobs: 20 } }),
    (e) => e instanceof ProviderError && /recycle/.test(e.message),
  );
});

test('metrics: each pool\'s threads, WebAssembly memory, worker heaps and recycles', async () => {
  const pool = new WorkerPool({ name: 'metered', script, size: 1, recycle: { afterJobs: 2 } });
  const registry = new Registry();
  registerWorkerPoolMetrics(registry, () => [pool]);
  try {
    await pool.run({ op: 'grow', id: 1, bytes: 123_456 });
    let text = await registry.metrics();
    assert.match(text, /^exovoice_worker_threads\{pool="metered"\} 1$/m);
    assert.match(text, /^exovoice_worker_wasm_bytes\{pool="metered"\} 123456$/m);
    assert.match(text, /^exovoice_worker_heap_used_bytes\{pool="metered"\} [1-9]\d*$/m);
    await pool.run({ op: 'echo', id: 2 });
    text = await registry.metrics();
    assert.match(text, /^exovoice_worker_recycled_total\{pool="metered",reason="jobs"\} 1$/m);
  } finally {
    await pool.close();
  }
});
