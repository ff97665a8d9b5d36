import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { currentCall } from '../observability/call-context.js';
import type { Gateway } from '../http/server.js';

export interface SuperviseOptions {
  gateway: Gateway;
  logger: Logger;
  drainTimeoutMs: number;
  /** After the drain, before the exit code is returned (closing the store). */
  afterDrain?: () => Promise<void>;
}

/**
 * Runs a listening gateway until SIGTERM/SIGINT (exit 0) or a fault that belongs to no call (exit 1); either
 * way it drains first, so live calls get `drainTimeoutMs` to finish and their records are closed.
 *
 * Process policy: `uncaughtException`/`unhandledRejection` raised by a call's code (known by the call scope the
 * session entered, see observability/call-context.ts) end that call only; the process carries on. A fault
 * outside any call means the process itself may be broken: it is logged as fatal and the gateway drains.
 */
export function superviseGateway(o: SuperviseOptions): Promise<number> {
  const { gateway, logger } = o;
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      logger.info({ why, activeCalls: gateway.registry.size, drainTimeoutMs: o.drainTimeoutMs }, 'draining');
      if (code !== 0) {
        // A broken process may not manage to drain: make sure it still exits.
        setTimeout(() => process.exit(code), o.drainTimeoutMs + 5000).unref();
      }
      try {
        const { endedByDrain } = await gateway.drain(o.drainTimeoutMs);
        await o.afterDrain?.();
        logger.info({ endedByDrain }, 'stopped');
      } catch (err) {
        logger.error({ err }, 'drain failed');
        code = code || 1;
      }
      uninstall();
      resolve(code);
    };
    const onSigterm = () => void stop('SIGTERM', 0);
    const onSigint = () => void stop('SIGINT', 0);
    const fault = (origin: 'uncaughtException' | 'unhandledRejection') => (err: unknown) => {
      const call = currentCall();
      if (call) {
        // CallSession.fail logs it with the call id, ends the call (agent-error, message on record), never throws.
        call.fail(err, origin);
        return;
      }
      logger.fatal({ err, origin }, 'fault outside any call: draining, then exiting');
      void stop(origin, 1);
    };
    const onException = fault('uncaughtException');
    const onRejection = fault('unhandledRejection');
    const uninstall = () => {
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
      // The fault handlers stay until exit: a fault during the drain must not kill the process mid-drain.
    };
    // A cluster worker ignores a second signal during its drain instead of dying of it: it may get each signal twice
    // (from its primary, and from a supervisor that signals the whole process group). The primary owns "a second
    // signal kills at once".
    const listen = cluster.isWorker ? 'on' : 'once';
    process[listen]('SIGTERM', onSigterm);
    process[listen]('SIGINT', onSigint);
    process.on('uncaughtException', onException);
    process.on('unhandledRejection', onRejection);
  });
}
