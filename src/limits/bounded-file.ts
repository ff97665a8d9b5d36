// Files we read at start-up (.env, agent definitions) are read within a size limit, in one bounded read: a huge or
// endless file (a log pasted by mistake, /dev/zero behind a symlink) stops start-up with a message, not the process.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class FileLimitError extends Error {
  override readonly name = 'FileLimitError';
  constructor(
    readonly file: string,
    readonly reason: 'size' | 'read',
    message: string,
  ) {
    super(message);
  }
}

/** A file's text (UTF-8) if it is at most `maxBytes`. Throws FileLimitError; `ENOENT` is passed through as is. */
export function readBoundedTextFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    throw new FileLimitError(path, 'read', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new FileLimitError(path, 'read', `${path}: not a regular file`);
    if (stat.size > maxBytes) throw new FileLimitError(path, 'size', `${path}: ${stat.size} bytes, more than the ${maxBytes} allowed`);
    // Read one byte past the limit: a file that grew after fstat is caught too.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > maxBytes) throw new FileLimitError(path, 'size', `${path}: more than the ${maxBytes} bytes allowed`);
    return buf.toString('utf8', 0, n);
  } catch (err) {
    if (err instanceof FileLimitError) throw err;
    throw new FileLimitError(path, 'read', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
