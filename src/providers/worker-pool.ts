// A small pool of worker threads running one synchronous WASM engine each. The engines block for
// tens to hundreds of ms per job, so they must not run on the event loop that paces call audio.
//
// Workers start lazily (the first job pays the engine's load time) and are unref'd while idle so
// an idle pool never keeps the process alive. Jobs beyond the busy workers wait in a bounded FIFO;
// a full queue rejects at once (`queue-full`) because a reply that arrives seconds late is useless
// on a phone call. Aborting a queued job removes it; aborting a running job rejects at once and
// discards the worker's result when it arrives (the WASM call cannot be interrupted).
//
// A WebAssembly.Memory only ever grows, and what an engine allocates in it can creep over thousands of jobs, so a
// worker can be recycled (`recycle`): once idle after its Nth job or above a memory bound it is
// terminated and a fresh one started. A worker is idle only between jobs, so no job is lost; the fresh
// worker takes jobs once its engine has loaded (it says so with a `ready` message), and only one worker
// per pool is replaced at a time, so the others keep serving while it loads.
//
// A job can also be pinned to one worker (`pin()`): a streaming engine keeps state between jobs (an utterance
// fed chunk by chunk), so its jobs must reach the worker that holds it, in order. A pinned worker's own jobs go
// before the shared queue, and it is not recycled while it holds a pin. A worker that dies fails its pinned jobs.
import { Worker } from 'node:worker_threads';
import { ProviderError, type ProviderErrorCode, abortReason } from './errors.js';

export interface WorkerPoolOptions {
  /** Names the engine in errors. */
  name: string;
  /** A plain-JS worker module that calls `serve()` from worker-host.mjs. */
  script: URL;
  /** Worker threads (default 2). Each holds its own engine instance. */
  size?: number;
  /** Jobs allowed to wait for a worker (default 32). */
  maxQueue?: number;
  workerData?: unknown;
  /** When to replace a worker (default: never). */
  recycle?: RecyclePolicy;
}

/** What a deployment sets on a process-wide pool. */
export type SharedPoolOptions = Pick<WorkerPoolOptions, 'size' | 'maxQueue' | 'recycle'>;

export interface RecyclePolicy {
  /** Replace a worker after this many jobs. */
  afterJobs?: number;
  /** Replace a worker whose engine's WebAssembly memory has grown beyond this many bytes. */
  aboveWasmBytes?: number;
  /** Replace a worker whose own V8 heap (used) has grown beyond this many bytes. */
  aboveHeapBytes?: number;
}

/** What a worker reports with each reply (worker-host.mjs). */
export interface WorkerMemory {
  wasmBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export interface WorkerInfo extends Partial<WorkerMemory> {
  /** Jobs this worker has finished. */
  jobs: number;
  ready: boolean;
  busy: boolean;
  /** Open pins (streams whose state this worker holds). */
  pins: number;
}

export type RecycleReason = 'jobs' | 'wasm-memory' | 'heap';

export interface RunOptions {
  signal?: AbortSignal;
  /** Buffers moved (not copied) to the worker; the caller must not use them afterwards. */
  transfer?: readonly ArrayBuffer[];
}

export interface WorkerPoolStats {
  size: number;
  workers: number;
  busy: number;
  queued: number;
  /** Open pins (streams held by workers). */
  pinned: number;
}

/** Jobs that all run on one worker, in order (see `WorkerPool.pin`). */
export interface WorkerPin {
  run<T>(payload: unknown, options?: RunOptions): Promise<T>;
  /** The worker need not keep this state any longer (it may be recycled once it holds no pin). */
  release(): void;
}

interface Job {
  payload: unknown;
  transfer: readonly ArrayBuffer[];
  signal: AbortSignal | undefined;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  settled: boolean;
  onAbort: (() => void) | undefined;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** Jobs for this worker only (pinned), in order, before the shared queue. */
  pinned: Job[];
  /** Open pins (engine state held in this worker). */
  holds: number;
  jobId: number;
  jobs: number;
  ready: boolean;
  memory: WorkerMemory | undefined;
}

type Reply =
  | { ready: true }
  | {
      id: number;
      ok: boolean;
      result?: unknown;
      error?: { message: string; code?: ProviderErrorCode; details?: Record<string, unknown> };
      memory?: WorkerMemory;
    };

export const DEFAULT_POOL_SIZE = 2;
export const DEFAULT_MAX_QUEUE = 32;

export class WorkerPool {
  readonly name: string;
  readonly size: number;
  readonly maxQueue: number;
  readonly #script: URL;
  readonly #workerData: unknown;
  readonly recyclePolicy: Readonly<RecyclePolicy>;
  readonly #recycled: Record<RecycleReason, number> = { jobs: 0, 'wasm-memory': 0, heap: 0 };
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #affinity = new WeakMap<object, Slot>();
  #nextId = 1;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.name = options.name;
    this.size = options.size ?? DEFAULT_POOL_SIZE;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError(`${this.name} pool size must be a positive integer`);
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) throw new RangeError(`${this.name} pool maxQueue must be a non-negative integer`);
    this.#script = options.script;
    this.#workerData = options.workerData;
    this.recyclePolicy = { ...options.recycle };
    for (const [k, v] of Object.entries(this.recyclePolicy)) {
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw new RangeError(`${this.name} pool recycle.${k} must be a positive integer`);
    }
  }

  /** Runs one job on the next free worker and resolves with the worker's result. */
  run<T>(payload: unknown, options: RunOptions = {}): Promise<T> {
    const { signal, transfer = [] } = options;
    if (this.#closed) return Promise.reject(new ProviderError('closed', `${this.name} pool is closed`));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    // Rather than refuse a job, a full queue hands it to a replacement that is still loading.
    const idle = this.#idleSlot() ?? (this.#queue.length >= this.maxQueue ? this.#slots.find((s) => s.job === undefined) : undefined);
    if (!idle && this.#queue.length >= this.maxQueue) {
      return Promise.reject(
        new ProviderError('queue-full', `${this.name} pool is saturated (${this.size} busy, ${this.#queue.length} queued)`),
      );
    }
    return this.#job<T>(payload, options, this.#queue, (job) => {
      if (idle) this.#start(idle, job);
      else {
        this.#queue.push(job);
        // A replacement still loading will take a queued job: it must keep the process alive meanwhile.
        for (const s of this.#slots) if (!s.ready) s.worker.ref();
      }
    });
  }

  /**
   * A worker for jobs that share state: the one `affinity` (e.g. a call) was last pinned to while it lives,
   * else one holding no pin, else a new worker while fewer than `size` run, else the one holding the fewest pins.
   */
  pin(affinity?: object): WorkerPin {
    if (this.#closed) throw new ProviderError('closed', `${this.name} pool is closed`);
    const previous = affinity && this.#affinity.get(affinity);
    const least = this.#slots.reduce<Slot | undefined>((a, b) => (!a || b.holds < a.holds ? b : a), undefined);
    const slot =
      previous && this.#slots.includes(previous)
        ? previous
        : least && (least.holds === 0 || this.#slots.length >= this.size)
          ? least
          : this.#spawn();
    if (affinity) this.#affinity.set(affinity, slot);
    slot.holds++;
    let held = true;
    return {
      run: <T>(payload: unknown, options: RunOptions = {}) => this.#runPinned<T>(slot, payload, options),
      release: () => {
        if (held) slot.holds--;
        held = false;
      },
    };
  }

  #runPinned<T>(slot: Slot, payload: unknown, options: RunOptions): Promise<T> {
    if (this.#closed) return Promise.reject(new ProviderError('closed', `${this.name} pool is closed`));
    if (!this.#slots.includes(slot)) return Promise.reject(new ProviderError('engine-failed', `${this.name} worker holding this stream is gone`));
    if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
    return this.#job<T>(payload, options, slot.pinned, (job) => {
      if (!slot.job && slot.ready) this.#start(slot, job);
      else {
        slot.pinned.push(job);
        slot.worker.ref();
      }
    });
  }

  #job<T>(payload: unknown, { signal, transfer = [] }: RunOptions, queue: Job[], place: (job: Job) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        payload,
        transfer,
        signal,
        resolve: resolve as (value: unknown) => void,
        reject,
        settled: false,
        onAbort: undefined,
      };
      if (signal) {
        job.onAbort = () => {
          const queuedAt = queue.indexOf(job);
          if (queuedAt >= 0) queue.splice(queuedAt, 1);
          this.#settle(job, false, abortReason(signal));
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      place(job);
    });
  }

  stats(): WorkerPoolStats {
    const busy = this.#slots.filter((s) => s.job !== undefined).length;
    const pinned = this.#slots.reduce((n, s) => n + s.holds, 0);
    return { size: this.size, workers: this.#slots.length, busy, queued: this.#queue.length, pinned };
  }

  /** Each worker's job count and the memory it reported with its last reply. */
  workers(): WorkerInfo[] {
    return this.#slots.map((s) => ({ jobs: s.jobs, ready: s.ready, busy: s.job !== undefined, pins: s.holds, ...s.memory }));
  }

  /** Workers replaced so far, by what triggered it. */
  recycled(): Readonly<Record<RecycleReason, number>> {
    return { ...this.#recycled };
  }

  /** Rejects queued and running jobs with `closed` and terminates the workers. */
  async close(): Promise<void> {
    this.#closed = true;
    const error = new ProviderError('closed', `${this.name} pool is closed`);
    for (const job of this.#queue.splice(0)) this.#settle(job, false, error);
    const slots = this.#slots.splice(0);
    for (const slot of slots) {
      if (slot.job) this.#settle(slot.job, false, error);
      for (const job of slot.pinned.splice(0)) this.#settle(job, false, error);
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #idleSlot(): Slot | undefined {
    const idle = this.#slots.find((s) => s.job === undefined && s.ready);
    if (idle) return idle;
    // A worker still loading its engine takes the job only at first start (someone has to wait for it);
    // a replacement that is loading leaves jobs queued for whichever worker is free first.
    return this.#slots.length < this.size ? this.#spawn() : undefined;
  }

  #spawn(): Slot {
    const worker = new Worker(this.#script, {
      workerData: this.#workerData,
      // Worker scripts are plain JS: don't inherit the parent's `--import tsx` (slower start).
      execArgv: [],
    });
    const slot: Slot = { worker, job: undefined, pinned: [], holds: 0, jobId: 0, jobs: 0, ready: false, memory: undefined };
    worker.on('message', (reply: Reply) => ('ready' in reply ? this.#onReady(slot) : this.#onReply(slot, reply)));
    worker.on('error', (err) => this.#onDeath(slot, `${this.name} worker failed: ${err.message}`));
    worker.on('exit', (code) => this.#onDeath(slot, `${this.name} worker exited with code ${code}`));
    this.#slots.push(slot);
    return slot;
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.jobId = this.#nextId++;
    slot.worker.ref();
    slot.worker.postMessage({ id: slot.jobId, payload: job.payload }, job.transfer as ArrayBuffer[]);
  }

  #onReady(slot: Slot): void {
    slot.ready = true;
    if (!slot.job && this.#slots.includes(slot)) this.#next(slot);
  }

  #onReply(slot: Slot, reply: Exclude<Reply, { ready: true }>): void {
    const job = slot.job;
    if (!job || reply.id !== slot.jobId) return;
    slot.job = undefined;
    slot.jobs++;
    if (reply.memory) slot.memory = reply.memory;
    if (reply.ok) this.#settle(job, true, reply.result);
    else {
      const e = reply.error ?? { message: 'unknown error' };
      this.#settle(job, false, new ProviderError(e.code ?? 'engine-failed', e.message, e.details));
    }
    const reason = this.#closed ? undefined : this.#recycleReason(slot);
    if (reason) this.#replace(slot, reason);
    else this.#next(slot);
  }

  #recycleReason(slot: Slot): RecycleReason | undefined {
    // One replacement at a time: while one loads, the others keep working (and are checked again after their next job).
    if (this.#slots.some((s) => !s.ready)) return undefined;
    // Its engine holds a stream's state.
    if (slot.holds > 0 || slot.pinned.length > 0) return undefined;
    const { afterJobs, aboveWasmBytes, aboveHeapBytes } = this.recyclePolicy;
    if (aboveWasmBytes !== undefined && slot.memory && slot.memory.wasmBytes > aboveWasmBytes) return 'wasm-memory';
    if (aboveHeapBytes !== undefined && slot.memory && slot.memory.heapUsedBytes > aboveHeapBytes) return 'heap';
    if (afterJobs !== undefined && slot.jobs >= afterJobs) return 'jobs';
    return undefined;
  }

  /** Swaps an idle worker for a fresh one; queued jobs wait for the first worker free or ready. */
  #replace(slot: Slot, reason: RecycleReason): void {
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    this.#recycled[reason]++;
    void slot.worker.terminate();
    const fresh = this.#spawn();
    if (this.#queue.length === 0) fresh.worker.unref();
  }

  #onDeath(slot: Slot, message: string): void {
    const at = this.#slots.indexOf(slot);
    if (at < 0) return; // 'error' is followed by 'exit'; handle once
    this.#slots.splice(at, 1);
    if (slot.job) this.#settle(slot.job, false, new ProviderError('engine-failed', message));
    for (const job of slot.pinned.splice(0)) this.#settle(job, false, new ProviderError('engine-failed', message));
    slot.job = undefined;
    if (this.#closed) return;
    // Queued jobs move to a fresh worker.
    const job = this.#queue.shift();
    if (job) this.#start(this.#spawn(), job);
  }

  #next(slot: Slot): void {
    const job = slot.pinned.shift() ?? this.#queue.shift();
    if (job) this.#start(slot, job);
    else slot.worker.unref();
  }

  #settle(job: Job, ok: boolean, value: unknown): void {
    if (job.settled) return;
    job.settled = true;
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
    if (ok) job.resolve(value);
    else job.reject(value);
  }
}

const sharedPools = new Map<string, WorkerPool>();

/** The process-wide pools created so far. */
export function sharedWorkerPools(): Iterable<WorkerPool> {
  return sharedPools.values();
}

/**
 * The process-wide pool for one engine, created on first use. Later calls get the same pool; asking
 * for a different size, queue bound or recycle policy once it exists is an error rather than silently ignored.
 */
export function sharedWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const existing = sharedPools.get(options.name);
  if (!existing) {
    const pool = new WorkerPool(options);
    sharedPools.set(options.name, pool);
    return pool;
  }
  const conflict =
    (options.size !== undefined && options.size !== existing.size) ||
    (options.maxQueue !== undefined && options.maxQueue !== existing.maxQueue) ||
    (options.recycle !== undefined && JSON.stringify(options.recycle) !== JSON.stringify(existing.recyclePolicy));
  if (conflict) {
    throw new ProviderError(
      'invalid-input',
      `the shared ${options.name} pool already runs with size ${existing.size}, maxQueue ${existing.maxQueue} and recycle ${JSON.stringify(existing.recyclePolicy)}`,
    );
  }
  return existing;
}
