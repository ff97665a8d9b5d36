// Where recordings live (<DATA_DIR>/recordings/<record id>.wav) and the sweeper that keeps them within the
// retention and the disk cap. A file is only ever named after a store record id that passed the ULID check, so
// nothing a caller or client sends ends up in a path.
import { mkdirSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Store record ids (call-id.ts): 26 Crockford base32 characters. */
const RECORD_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const FINAL_NAME = /^[0-9A-HJKMNP-TV-Z]{26}\.wav$/;
const PART_NAME = /^\.[0-9a-f]{16}\.wav\.part$/;
/** A partial file this old belongs to no live call (a crash left it): calls are far shorter. */
const STALE_PART_MS = 24 * 3600_000;

export function recordingsDir(dataDir: string): string {
  return join(dataDir, 'recordings');
}

/** Creates the recordings directory (start-up fails at once if it cannot). */
export function prepareRecordingsDir(dataDir: string): string {
  const dir = recordingsDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  return dir;
}

/** The file of record `id`, or undefined for anything that is not a store record id. */
export function recordingPath(dir: string, id: string): string | undefined {
  return RECORD_ID.test(id) ? join(dir, `${id}.wav`) : undefined;
}

/** Deletes record `id`'s recording; true when there was one. */
export async function deleteRecording(dir: string, id: string): Promise<boolean> {
  const path = recordingPath(dir, id);
  if (!path) return false;
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export interface SweepPolicy {
  /** Recordings older than this are deleted; 0 keeps them for ever. */
  retentionDays: number;
  /** The directory's recordings are kept under this many MB, oldest deleted first; 0: no cap. */
  maxMb: number;
}

export interface SweepResult {
  expired: number;
  overCap: number;
  stale: number;
  keptBytes: number;
}

/** One pass: deletes expired recordings, then the oldest until the rest fit the cap, and stale partial files. */
export async function sweepRecordings(dir: string, policy: SweepPolicy, now = Date.now()): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, overCap: 0, stale: 0, keptBytes: 0 };
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw err;
  }
  const files: { path: string; mtimeMs: number; size: number }[] = [];
  for (const name of names) {
    const isFinal = FINAL_NAME.test(name);
    if (!isFinal && !PART_NAME.test(name)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (!isFinal) {
      if (now - info.mtimeMs > STALE_PART_MS && (await removed(path))) result.stale++;
      continue;
    }
    if (policy.retentionDays > 0 && now - info.mtimeMs > policy.retentionDays * 86_400_000) {
      if (await removed(path)) result.expired++;
      continue;
    }
    files.push({ path, mtimeMs: info.mtimeMs, size: info.size });
  }
  let total = files.reduce((sum, f) => sum + f.size, 0);
  if (policy.maxMb > 0) {
    const cap = policy.maxMb * 1024 * 1024;
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of files) {
      if (total <= cap) break;
      if (await removed(f.path)) {
        result.overCap++;
        total -= f.size;
      }
    }
  }
  result.keptBytes = total;
  return result;
}

async function removed(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch {
    return false;
  }
}

/** Sweeps at once and then every `intervalMs` (one pass at a time); returns the stop function. */
export function startRecordingSweeper(
  dir: string,
  policy: SweepPolicy,
  hooks: { onSwept(result: SweepResult): void; onError(err: unknown): void },
  intervalMs = 10 * 60_000,
): () => void {
  let running = false;
  const pass = () => {
    if (running) return;
    running = true;
    sweepRecordings(dir, policy)
      .then(hooks.onSwept, hooks.onError)
      .finally(() => (running = false));
  };
  pass();
  const timer = setInterval(pass, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
