// The hostile-peer test's fixture: the real server in a child process (cwd and DATA_DIR in a fresh temp tree),
// the good call in another, and the checks run after every attack.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, lstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FakeExotelRest } from '../fakes/exotel-rest.js';
import { freePort } from '../helpers/gateway.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import type { WindowStats } from './good-call.js';
import { parseMetrics, type ServerMetrics } from './server-metrics.js';

export const CALLBACK_SECRET = 'hostile-test-callback-secret-0123456789';
/** Outbound frames are 200 ms at 8 kHz; "no gap longer than one frame beyond normal". */
export const FRAME_MS = 200;
export const MAX_GAP_MS = 2 * FRAME_MS;
/** Longest server event-loop block (from its own /metrics) that is not called a stall on a shared machine. */
export const MAX_SERVER_LAG_MS = 1000;

/** Every path under `root` except `skip`, with its type and size: what an attack may not change. */
export function snapshotTree(root: string, skip: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (path === skip) continue;
      const st = lstatSync(path);
      out.set(relative(root, path), st.isDirectory() ? 'dir' : `${st.isSymbolicLink() ? 'link' : 'file'}:${st.size}:${st.mtimeMs}`);
      if (st.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

export function treeDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [p, v] of after) if (before.get(p) !== v) diff.push(`${before.has(p) ? 'changed' : 'created'} ${p}`);
  for (const p of before.keys()) if (!after.has(p)) diff.push(`deleted ${p}`);
  return diff;
}

class GoodCall {
  private pending: Array<(m: { event: string; [k: string]: unknown }) => boolean> = [];
  closedCode: number | undefined;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: { event: string; code?: number }) => {
      if (m.event === 'closed') this.closedCode = m.code;
      this.pending = this.pending.filter((take) => !take(m));
    });
  }

  static async open(url: string): Promise<GoodCall> {
    const child = fork(new URL('./good-call.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const call = new GoodCall(child);
    const opened = call.next('open', 30_000);
    child.send({ cmd: 'open', url });
    await opened;
    return call;
  }

  private next(event: string, timeoutMs: number): Promise<{ event: string; [k: string]: unknown }> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`good call: no ${event} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push((m) => {
        if (m.event === 'error' && event === 'open') {
          clearTimeout(t);
          reject(new Error(`good call: ${String(m.message)}`));
          return true;
        }
        if (m.event !== event) return false;
        clearTimeout(t);
        resolve(m);
        return true;
      });
    });
  }

  async begin(): Promise<void> {
    const begun = this.next('begun', 10_000);
    this.child.send({ cmd: 'begin' });
    await begun;
  }

  async end(settleMs: number): Promise<WindowStats> {
    const w = this.next('window', settleMs + 10_000);
    this.child.send({ cmd: 'end', settleMs });
    return (await w).stats as WindowStats;
  }

  close(): void {
    if (this.child.connected) this.child.send({ cmd: 'close' });
    setTimeout(() => this.child.kill('SIGKILL'), 1000).unref();
  }
}

/** Where the server runs: `root/srv/cwd` is its working directory, `root/srv/data` its DATA_DIR. */
export class HostileFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'exovoice-hostile-'));
  readonly cwd = join(this.root, 'srv', 'cwd');
  readonly dataDir = join(this.root, 'srv', 'data');
  port = 0;
  server?: ServerProcess;
  good?: GoodCall;
  /** Servers started so far (a new one after each attack that killed the last). */
  starts = 0;
  /** Exotel's REST API, so that POST /call really dials and what it lets through is seen. */
  readonly exotel = new FakeExotelRest({ accountSid: 'acct1', apiKey: 'key1', apiToken: 'token-abcdef' });
  private exotelUp = false;

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `${this.wsBase}/voicebot/ws`;
  }

  /** A live server with the good call streaming; restarts both after an attack that brought them down. */
  async ensureUp(): Promise<void> {
    const alive = this.server && this.server.child.exitCode === null && this.server.signal === null;
    if (alive && this.good && this.good.closedCode === undefined && (await this.healthy())) return;
    this.good?.close();
    this.good = undefined;
    if (this.server) {
      this.server.child.kill('SIGKILL');
      await this.server.exited;
    }
    mkdirSync(this.cwd, { recursive: true });
    if (!this.exotelUp) {
      await this.exotel.start();
      this.exotelUp = true;
    }
    this.port = await freePort();
    this.server = startServerProcess(
      {
        PORT: String(this.port),
        DATA_DIR: this.dataDir,
        DEFAULT_AGENT: 'echo',
        LOG_LEVEL: 'error',
        CALLBACK_SECRET,
        WEBHOOK_BASE_URL: this.base,
        EXOTEL_API_KEY: 'key1',
        EXOTEL_API_TOKEN: 'token-abcdef',
        EXOTEL_SID: 'acct1',
        EXOTEL_SUBDOMAIN: 'api.in.exotel.com',
        EXOTEL_API_BASE_URL: this.exotel.baseUrl,
        EXOTEL_APP_ID: '4242',
        EXOTEL_CALLER_ID: '08047491899',
        CALLS_PER_MINUTE: '200',
        // The real environment's settings must not leak in (a token or keys would change what is tested).
        EXOTEL_WS_TOKEN: '',
        API_KEY: '',
      },
      { cwd: this.cwd, maxOutputChars: 64 * 1024 },
    );
    this.starts++;
    await this.server.listening;
    this.good = await GoodCall.open(`${this.wsUrl}?call_id=good-call`);
    // Until the first reply plays, the window would measure nothing.
    const first = await this.measure(() => new Promise((r) => setTimeout(r, 6000)), 0);
    if (first.stats.frames === 0) throw new Error('the good call heard no audio from the echo agent');
  }

  async healthy(): Promise<boolean> {
    return fetch(`${this.base}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 200, () => false);
  }

  async metrics(): Promise<ServerMetrics> {
    const r = await fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(5000) });
    return parseMetrics(await r.text());
  }

  /** Runs `attack` inside a measurement window of the good call; its error, if any, comes back with the window. */
  async measure(attack: () => Promise<void>, settleMs = 1000): Promise<{ stats: WindowStats; error?: unknown }> {
    await this.good!.begin();
    let error: unknown;
    try {
      await attack();
    } catch (err) {
      error = err;
    }
    return { stats: await this.good!.end(settleMs), error };
  }

  serverAlive(): boolean {
    return !!this.server && this.server.child.exitCode === null && this.server.signal === null;
  }

  async close(): Promise<void> {
    this.good?.close();
    if (this.server) {
      this.server.child.kill('SIGKILL');
      await this.server.exited;
    }
    if (this.exotelUp) await this.exotel.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}
