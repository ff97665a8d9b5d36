import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteRecording, recordingPath, sweepRecordings } from '../../src/call/recording-files.js';
import { newCallId } from '../../src/store/call-id.js';

const DAY = 86_400_000;
const MB = 1024 * 1024;

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exovoice-sweep-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A recording of `mb` MB last written `ageDays` ago. */
function put(dir: string, now: number, ageDays: number, mb: number, name = `${newCallId(now - ageDays * DAY)}.wav`): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(Math.round(mb * MB)));
  const t = new Date(now - ageDays * DAY);
  utimesSync(path, t, t);
  return name;
}

test('the sweeper deletes recordings past the retention, then the oldest until the rest fit the cap', withDir(async (dir) => {
  const now = Date.now();
  const expired = put(dir, now, 40, 0.1);
  const oldest = put(dir, now, 10, 1);
  const middle = put(dir, now, 5, 1);
  const newest = put(dir, now, 1, 1);
  const result = await sweepRecordings(dir, { retentionDays: 30, maxMb: 2 }, now);
  assert.deepEqual({ expired: result.expired, overCap: result.overCap }, { expired: 1, overCap: 1 });
  assert.equal(result.keptBytes, 2 * MB);
  const left = readdirSync(dir).sort();
  assert.deepEqual(left, [middle, newest].sort());
  assert.ok(!left.includes(expired) && !left.includes(oldest));
}));

test('0 disables each limit; files that are not recordings are left alone; stale partial files go', withDir(async (dir) => {
  const now = Date.now();
  const ancient = put(dir, now, 400, 0.5);
  const big = put(dir, now, 1, 3);
  const other = put(dir, now, 400, 0.1, 'exovoice.db');
  const live = put(dir, now, 0, 0.1, '.0123456789abcdef.wav.part');
  const stale = put(dir, now, 2, 0.1, '.fedcba9876543210.wav.part');
  const result = await sweepRecordings(dir, { retentionDays: 0, maxMb: 0 }, now);
  assert.deepEqual({ expired: result.expired, overCap: result.overCap, stale: result.stale }, { expired: 0, overCap: 0, stale: 1 });
  assert.deepEqual(readdirSync(dir).sort(), [ancient, big, other, live].sort());
  assert.ok(!readdirSync(dir).includes(stale));
}));

test('a missing directory sweeps to nothing', async () => {
  const result = await sweepRecordings(join(tmpdir(), 'exovoice-no-such-dir-', String(process.pid)), { retentionDays: 1, maxMb: 1 });
  assert.deepEqual(result, { expired: 0, overCap: 0, stale: 0, keptBytes: 0 });
});

test('recording paths are only ever built from store record ids', withDir(async (dir) => {
  const id = newCallId(Date.now());
  assert.equal(recordingPath(dir, id), join(dir, `${id}.wav`));
  for (const bad of ['../etc/passwd', 'CAabc', `${id}/x`, id.toLowerCase(), '', `${id}.wav`]) assert.equal(recordingPath(dir, bad), undefined, bad);
  put(dir, Date.now(), 0, 0.01, `${id}.wav`);
  assert.equal(await deleteRecording(dir, id), true);
  assert.equal(await deleteRecording(dir, id), false);
  assert.equal(await deleteRecording(dir, '../x'), false);
}));
