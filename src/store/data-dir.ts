// The data directory must exist and take writes before the store opens in it: otherwise start-up stops
// with one line naming the directory, instead of a SQLite stack trace (or, worse, a store that fails
// every write later). The probe really writes a file: as root, access(W_OK) says yes even where the
// write fails (a read-only mount, a path through a regular file).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirError extends Error {
  override readonly name = 'DataDirError';
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`${dir} is not writable: ${reason}`);
  }
}

/** Creates `dir` if needed and checks that a file can be written in it. */
export function prepareDataDir(dir: string): void {
  const probe = join(dir, `.exovoice-write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new DataDirError(dir, (err as Error).message.replace(/\s+/g, ' '));
  }
}
