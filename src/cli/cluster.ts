import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../config/env.js';

/**
 * `exovoice serve --workers N`: this process (the primary) serves nothing itself. It forks N workers that share the
 * port (node:cluster hands each new connection to the next worker, round robin; a WebSocket then stays on the
 * worker that took it), restarts a worker that dies, and on SIGTERM/SIGINT drains them all and exits when they have.
 */

const SERVE_USAGE = 'usage: exovoice serve [--workers N|auto]   (WORKERS; above 1 needs REDIS_URL and DATABASE_URL)';

/**
 * `serve`'s flags: `--workers` sets WORKERS in `env` (so it wins over .env and is validated with the rest), `--help`.
 * Returns an exit code when serve should stop here.
 */
export function applyServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    console.error(`exovoice serve: ${(err as Error).message}\n${SERVE_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return 0;
  }
  if (values.workers !== undefined) env.WORKERS = values.workers;
  return undefined;
}

/** WORKERS as a count: `auto` is one per core this process may use. */
export function workerCount(workers: Config['workers']): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

/**
 * Why this configuration cannot run several workers, or undefined. Each worker is a node of a fleet: without Redis
 * one worker's webhook details, sessions list and dial rate would be invisible to the others. SQLite is refused too:
 * several writer processes on one file block each other's event loops (busy waits of up to the busy time-out, on the
 * media path), and each worker's start-up orphan recovery would close the calls the other workers hold.
 */
export function clusterProblem(workers: number, config: Pick<Config, 'redisUrl' | 'databaseUrl'>): string | undefined {
  if (workers <= 1) return undefined;
  const missing = [
    ...(config.redisUrl ? [] : ['REDIS_URL=redis://… (the workers share live calls, call details and the dial rate through Redis)']),
    ...(config.databaseUrl ? [] : ['DATABASE_URL=postgres://… (SQLite is one file per process)']),
  ];
  if (missing.length === 0) return undefined;
  return `WORKERS=${workers} runs ${workers} nodes on this machine, so set ${missing.join(' and ')}, or run one worker`;
}

/** Worker k's node id: `<base>-w<k>`, then `<base>-w<k>.<n>` after its n-th restart (cut to fit 64 characters). */
export function workerNodeId(base: string, k: number, restarts: number): string {
  const suffix = restarts === 0 ? `-w${k}` : `-w${k}.${restarts}`;
  return `${base.slice(0, 64 - suffix.length)}${suffix}`;
}

export interface BackoffOptions {
  /** The second restart in a row waits this long; each further one twice as long as the one before. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A worker that ran this long was healthy: its next death restarts it at once again. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { firstDelayMs: 1000, maxDelayMs: 30_000, stableAfterMs: 60_000 };

/** Restart delays of one worker slot: at once after a healthy run, then 1 s, 2 s, 4 s … 30 s while it keeps dying. */
export class RestartBackoff {
  private streak = 0;

  constructor(private readonly o: BackoffOptions = DEFAULT_BACKOFF) {}

  /** The delay before restarting a worker that died after running `uptimeMs`. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.o.stableAfterMs) this.streak = 0;
    const delay = this.streak === 0 ? 0 : Math.min(this.o.maxDelayMs, this.o.firstDelayMs * 2 ** (this.streak - 1));
    this.streak++;
    return delay;
  }
}

export interface PrimaryOptions {
  workers: number;
  /** Base of the workers' node ids. */
  nodeId: string;
  drainTimeoutMs: number;
  logger: Logger;
  backoff?: BackoffOptions;
}

interface Slot {
  k: number;
  worker?: Worker;
  startedAt: number;
  restarts: number;
  listened: boolean;
  backoff: RestartBackoff;
  timer?: NodeJS.Timeout;
}

/** The primary: refuses a configuration `clusterProblem` names, else runs the workers until a signal. Exit code. */
export function runCluster(config: Config, workers: number, logger: Logger): Promise<number> {
  const problem = clusterProblem(workers, config);
  if (problem) {
    console.error(`exovoice: ${problem}`);
    return Promise.resolve(1);
  }
  return runPrimary({ workers, nodeId: config.nodeId, drainTimeoutMs: config.drainTimeoutMs, logger });
}

/**
 * Forks the workers (each runs `exovoice serve` as a single node, with NODE_ID set). A worker that dies is restarted
 * with back-off, each restart logged; one that fails its very first start-up (bad DATA_DIR, unreachable database)
 * stops the lot with exit 1, as a single process would. SIGTERM/SIGINT: every worker drains (as `serve` does) and the
 * primary exits 0 once all have exited 0; a second signal kills them at once.
 */
export function runPrimary(o: PrimaryOptions): Promise<number> {
  const { logger } = o;
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  const slots: Slot[] = Array.from({ length: o.workers }, (_, i) => ({
    k: i + 1,
    startedAt: 0,
    restarts: 0,
    listened: false,
    backoff: new RestartBackoff(backoff),
  }));
  let stopping = false;
  let code = 0;

  return new Promise((resolve) => {
    const live = () => slots.filter((s) => s.worker !== undefined);
    const finishIfDone = () => {
      if (!stopping || live().length > 0) return;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      logger.info({ code }, 'all workers stopped');
      resolve(code);
    };

    const fork = (slot: Slot) => {
      slot.timer = undefined;
      const nodeId = workerNodeId(o.nodeId, slot.k, slot.restarts);
      const worker = cluster.fork({ NODE_ID: nodeId });
      slot.worker = worker;
      slot.startedAt = Date.now();
      worker.once('listening', () => {
        slot.listened = true;
        logger.info({ worker: slot.k, pid: worker.process.pid, nodeId }, 'worker listening');
      });
      worker.once('exit', (exitCode, signal) => {
        slot.worker = undefined;
        const uptimeMs = Date.now() - slot.startedAt;
        const how = { worker: slot.k, pid: worker.process.pid, nodeId, code: exitCode, signal, uptimeMs };
        if (stopping) {
          if (exitCode !== 0) code = 1;
          logger.info(how, 'worker stopped');
          return finishIfDone();
        }
        if (!slot.listened && slot.restarts === 0) {
          // It never came up: the configuration or the machine is wrong, and restarting would only repeat it.
          logger.fatal(how, 'worker failed to start: stopping the other workers');
          code = 1;
          return stopAll();
        }
        slot.restarts++;
        slot.listened = false;
        const delayMs = slot.backoff.next(uptimeMs);
        logger.error({ ...how, restart: slot.restarts, restartInMs: delayMs }, 'worker died: restarting it');
        slot.timer = setTimeout(() => fork(slot), delayMs);
      });
    };

    const stopAll = () => {
      stopping = true;
      for (const slot of slots) clearTimeout(slot.timer);
      for (const slot of live()) slot.worker!.process.kill('SIGTERM');
      // A worker that hangs in its drain must not keep the machine's port forever.
      setTimeout(() => {
        if (live().length === 0) return;
        logger.error({ workers: live().map((s) => s.k) }, 'workers did not stop after the drain time-out: killing them');
        code = 1;
        for (const slot of live()) slot.worker!.process.kill('SIGKILL');
      }, o.drainTimeoutMs + 15_000).unref();
      finishIfDone();
    };

    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal, workers: live().map((s) => s.k) }, 'second signal: killing the workers without draining');
        code = 1;
        for (const slot of live()) slot.worker!.process.kill('SIGKILL');
        return;
      }
      logger.info({ signal, workers: live().length, drainTimeoutMs: o.drainTimeoutMs }, 'draining the workers');
      stopAll();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);

    logger.info({ workers: o.workers, nodeId: o.nodeId }, 'starting workers');
    for (const slot of slots) fork(slot);
  });
}
