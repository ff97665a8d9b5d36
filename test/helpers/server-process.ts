import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves once the server logs that it listens; rejects if it exits first. */
  listening: Promise<void>;
  output(): string;
}

/** `node bin/exovoice.js serve` as a child process, as `npm start` runs it; `listening` needs `env.PORT`. */
export function startServerProcess(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['bin/exovoice.js', 'serve'], {
    env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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
  return { child, exited, listening, output: () => out };
}
