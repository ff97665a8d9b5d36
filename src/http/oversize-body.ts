import type { IncomingMessage } from 'node:http';

/**
 * A body declared larger than we accept is read and thrown away (up to `drainLimitBytes`) before the 413 goes out:
 * closing a socket with unread data makes the kernel answer with a reset, which also discards the 413 the client
 * had not read yet, so it would see only a cut connection. Bodies declared larger than the drain limit are not
 * worth the bandwidth: those get the 413 at once and the connection is closed.
 */
export const OVERSIZE_DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/** Resolves true once the declared body has been read and discarded, false when it is too big (or never came). */
export function drainDeclaredBody(req: IncomingMessage, declaredBytes: number, drainLimitBytes = OVERSIZE_DRAIN_LIMIT_BYTES, timeoutMs = 10_000): Promise<boolean> {
  if (declaredBytes > drainLimitBytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let read = 0;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onError);
      resolve(ok);
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > drainLimitBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onError);
    req.resume();
  });
}
