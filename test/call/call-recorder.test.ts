// The recorder on its own, with explicit times: what lands where in the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallRecorder } from '../../src/call/call-recorder.js';
import { newCallId } from '../../src/store/call-id.js';

const RATE = 8000;
const FRAME = 160; // 20 ms

function withRecorder(fn: (r: CallRecorder, read: (id: string) => Int16Array, failures: string[]) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exovoice-recorder-'));
    const failures: string[] = [];
    try {
      const r = new CallRecorder({ dir, onFailure: (_err, stage) => failures.push(stage) }, RATE, 1000);
      const read = (id: string) => {
        const file = readFileSync(join(dir, `${id}.wav`));
        assert.equal(file.readUInt32LE(40), file.length - 44);
        return new Int16Array(file.buffer.slice(file.byteOffset + 44, file.byteOffset + file.length));
      };
      await fn(r, read, failures);
      assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.part')), [], 'no partial file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const frame = (value: number) => new Int16Array(FRAME).fill(value);

test('caller frames running steadily behind real time are all kept, across the once-a-second writes', withRecorder(async (r, read) => {
  // Every frame arrives 150 ms after its time (under the gap tolerance): none may fall behind a write and be lost.
  for (let i = 0; i < 250; i++) r.caller(frame(1000 + (i % 7)), 1000 + 150 + (i + 1) * 20);
  const id = newCallId(Date.now());
  assert.ok(await r.finish(1000 + 150 + 250 * 20, async () => id));
  const pcm = read(id);
  let caller = 0;
  for (let i = 0; i < pcm.length; i += 2) if (pcm[i] !== 0) caller++;
  assert.equal(caller, 250 * FRAME, 'every caller sample is in the file');
}));

test('a gap in the caller stream stays a gap; agent audio plays where scheduled and a clear wipes what had not played', withRecorder(async (r, read) => {
  for (let i = 0; i < 25; i++) r.caller(frame(500), 1000 + (i + 1) * 20); // 0-0.5 s
  for (let i = 0; i < 25; i++) r.caller(frame(500), 1000 + 1500 + (i + 1) * 20); // 1.5-2.0 s, after a 1 s gap
  // The agent: 1 s of audio scheduled from 2.0 s, cleared at 2.5 s.
  for (let i = 0; i < 50; i++) r.agent(Buffer.from(frame(700).buffer), 1000 + 2000 + i * 20);
  r.cleared(1000 + 2500);
  const id = newCallId(Date.now());
  await r.finish(1000 + 3200, async () => id);
  const pcm = read(id);
  const at = (sec: number, ch: 0 | 1) => pcm[Math.round(sec * RATE) * 2 + ch];
  assert.equal(pcm.length / 2, 3.2 * RATE, 'as long as the call');
  assert.equal(at(0.25, 0), 500);
  assert.equal(at(1.0, 0), 0, 'the gap');
  assert.equal(at(1.75, 0), 500, 'after the gap, in its place');
  assert.equal(at(1.9, 1), 0);
  assert.equal(at(2.25, 1), 700, 'agent audio where it played');
  assert.equal(at(2.6, 1), 0, 'nothing after the clear');
  assert.equal(at(2.25, 0), 0, 'channels apart');
}));

test('a call without a record leaves no file', withRecorder(async (r) => {
  r.caller(frame(1), 1020);
  assert.equal(await r.finish(1020, async () => undefined), undefined);
}));

test("a reconnected call's second part is appended to the first under the record's name", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exovoice-recorder-'));
  try {
    const env = { dir, onFailure: () => assert.fail('no failure expected') };
    const id = newCallId(Date.now());
    const first = new CallRecorder(env, RATE, 0);
    for (let i = 0; i < 50; i++) first.caller(frame(111), (i + 1) * 20);
    await first.finish(1000, async () => id);
    const second = new CallRecorder(env, RATE, 5000);
    for (let i = 0; i < 25; i++) second.caller(frame(222), 5000 + (i + 1) * 20);
    await second.finish(5500, async () => id);
    assert.deepEqual(readdirSync(dir), [`${id}.wav`]);
    const file = readFileSync(join(dir, `${id}.wav`));
    assert.equal(file.readUInt32LE(40), file.length - 44);
    const pcm = new Int16Array(file.buffer.slice(file.byteOffset + 44, file.byteOffset + file.length));
    assert.equal(pcm.length / 2, 1.5 * RATE, 'both parts');
    assert.equal(pcm[Math.round(0.5 * RATE) * 2], 111);
    assert.equal(pcm[Math.round(1.25 * RATE) * 2], 222);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
