// Moves WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside whichever commit
// crosses the threshold, i.e. inside one of our flushes on the main thread, and it fsyncs: measured on
// the 500-call benchmark it took flush p99 from ~8 ms to ~50 ms and max to 100-250 ms. With this, the
// store turns auto-checkpointing off and a worker thread with its own connection checkpoints every
// intervalMs. If the worker dies, the store turns auto-checkpointing back on (onDeath).
import { Worker } from 'node:worker_threads';

export interface WalCheckpointerOptions {
  path: string;
  intervalMs: number;
  /** Past this many WAL frames, force a checkpoint that lets the WAL rewind. */
  maxWalFrames?: number;
  onDeath: (err: Error) => void;
}

export interface CheckpointStats {
  checkpoints: number;
  /** WAL frames at the last checkpoint, and how many of them were copied into the database. */
  lastLogFrames: number;
  lastCheckpointedFrames: number;
  errors: number;
}

type WorkerMessage =
  | { type: 'checkpoint'; busy: number; log: number; checkpointed: number }
  | { type: 'error'; message: string };

export class WalCheckpointer {
  readonly stats: CheckpointStats = { checkpoints: 0, lastLogFrames: 0, lastCheckpointedFrames: 0, errors: 0 };
  private readonly worker: Worker;
  private stopping = false;
  private readonly exited: Promise<void>;

  constructor(options: WalCheckpointerOptions) {
    this.worker = new Worker(new URL('./wal-checkpoint.worker.mjs', import.meta.url), {
      workerData: { path: options.path, intervalMs: options.intervalMs, maxWalFrames: options.maxWalFrames ?? 8192 },
      execArgv: [],
    });
    this.worker.unref();
    this.worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'checkpoint') {
        this.stats.checkpoints++;
        this.stats.lastLogFrames = msg.log;
        this.stats.lastCheckpointedFrames = msg.checkpointed;
      } else {
        this.stats.errors++;
      }
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('error', (err) => {
        if (!this.stopping) options.onDeath(err);
      });
      this.worker.on('exit', (code) => {
        if (!this.stopping) options.onDeath(new Error(`WAL checkpoint worker exited with code ${code}`));
        resolve();
      });
    });
  }

  /** Stops the worker and waits for it to close its connection. */
  async stop(): Promise<void> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(timeout);
  }
}
