import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ServerProcess {
  child: ChildProcess;
  /** The exit code, or null when a signal ended the process (`signal` says which). */
  exited: Promise<number | null>;
  readonly signal: NodeJS.Signals | null;
  /** Resolves once the server logs that it listens; rejects if it exits first. */
  listening: Promise<void>;
  output(): string;
}

export interface ServerProcessOptions {
  /** Working directory of the server (default: this process's); the entry point is found either way. */
  cwd?: string;
  /** Keep only the last this many characters of output (default: all of it). */
  maxOutputChars?: number;
  /** Arguments after `serve`, e.g. `['--workers', '2']`. */
  args?: string[];
}

/** glibc's malloc setting `npm start` runs the server with (README, Reliability): buffers of 8 KB and more mapped and returned on free. */
const NPM_START_MMAP_THRESHOLD = '8192';

const ENTRY = fileURLToPath(new URL('../../bin/exovoice.js', import.meta.url));

/** `node bin/exovoice.js serve` as a child process, as `npm start` runs it; `listening` needs `env.PORT`. */
export function startServerProcess(env: Record<string, string>, options: ServerProcessOptions = {}): ServerProcess {
  const child = spawn(process.execPath, [ENTRY, 'serve', ...(options.args ?? [])], {
    env: { MALLOC_MMAP_THRESHOLD_: NPM_START_MMAP_THRESHOLD, ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const max = options.maxOutputChars ?? Infinity;
  let out = '';
  const append = (d: Buffer) => {
    out += d;
    if (out.length > max) out = out.slice(out.length - max);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let signal: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, sig) => {
      signal = sig;
      resolve(code);
    }),
  );
  // Up when /health answers (the log level may hide the start-up line).
  const health = `http://127.0.0.1:${env.PORT}/health`;
  const listening = new Promise<void>((resolve, reject) => {
    let done = false;
    void exited.then(() => {
      done = true;
      reject(new Error(`server exited: ${out}`));
    });
    const poll = async () => {
      while (!done) {
        if (await fetch(health).then((r) => r.ok, () => false)) {
          done = true;
          return resolve();
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    void poll();
  });
  listening.catch(() => {}); // awaited only by callers that expect the server to come up
  return {
    child,
    exited,
    get signal() {
      return signal;
    },
    listening,
    output: () => out,
  };
}
