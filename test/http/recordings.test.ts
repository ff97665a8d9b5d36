import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { newCallId } from '../../src/store/call-id.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordJournal } from '../../src/call/record-journal.js';
import { createLogger } from '../../src/observability/logger.js';
import { openSqliteCallStore, type SqliteCallStore } from '../../src/store/sqlite-call-store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ExotelSocket, until } from '../helpers/exotel-socket.js';
import { ScriptedAgent } from '../helpers/scripted-agent.js';

const RATE = 8000;
const dir = mkdtempSync(join(tmpdir(), 'exovoice-recordings-'));
let store: SqliteCallStore;
let gw: TestGateway;
const agent = new ScriptedAgent();

before(async () => {
  store = openSqliteCallStore({ dataDir: dir, flushIntervalMs: 20 });
  const journal = new RecordJournal(store, createLogger('silent'));
  gw = await startGateway({ RECORD_CALLS: 'on', DATA_DIR: dir }, [agent], { store, journal });
});
after(async () => {
  await gw.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tone(samples: number, amplitude: number, hz = 440): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE));
  return out;
}

/** RMS of one channel of interleaved stereo PCM16 between two times (s). */
function rms(pcm: Int16Array, channel: 0 | 1, fromSec: number, toSec: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.floor(fromSec * RATE); i < Math.min(pcm.length / 2, Math.floor(toSec * RATE)); i++, n++) sum += pcm[i * 2 + channel] ** 2;
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

/**
 * One scripted call, in real time: the caller speaks at 0.5-1.0 s and 2.8-3.2 s (silence frames otherwise, as
 * Exotel sends), the agent says a 1 s tone from 1.2 s, then a 2 s tone from 2.6 s that the caller barges in on:
 * the agent clears at 3.0 s. The caller hangs up at 4.0 s.
 */
async function recordedCall(callSid: string): Promise<{ clearAtSec: number; endAtSec: number }> {
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=${callSid}`);
  s.start({ callSid, streamSid: `strm-${callSid}` });
  const t0 = performance.now();
  const call = await next;
  const elapsed = () => (performance.now() - t0) / 1000;
  const speaking = (t: number) => (t >= 0.5 && t < 1.0) || (t >= 2.8 && t < 3.2);
  let firstDone = false;
  let secondDone = false;
  let clearAtSec = 0;
  let seq = 2;
  // 20 ms caller frames on the wall clock (catching up if a timer fires late).
  let sent = 0;
  while (elapsed() < 4.0) {
    const t = elapsed();
    while ((sent + 1) * 0.02 <= t) {
      s.media(speaking(sent * 0.02) ? tone(160, 8000, 300) : new Int16Array(160), seq++);
      sent++;
    }
    if (!firstDone && t >= 1.2) {
      firstDone = true;
      call.control.play(tone(RATE, 10000));
      call.control.flush();
    }
    if (!secondDone && t >= 2.6) {
      secondDone = true;
      call.control.play(tone(2 * RATE, 10000));
      call.control.flush();
    }
    if (clearAtSec === 0 && t >= 3.0) {
      call.control.clear();
      clearAtSec = elapsed();
    }
    await sleep(5);
  }
  const endAtSec = elapsed();
  s.stop();
  await s.closed;
  await until(() => call.ends.length === 1, 2000, 'end');
  return { clearAtSec, endAtSec };
}

async function fetchRecording(id: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gw.base}/calls/${id}/recording`, { headers });
}

test('a recorded call is a stereo WAV of what the caller heard: caller left, agent right, nothing after a barge-in clear', async () => {
  const { clearAtSec, endAtSec } = await recordedCall('recA');
  // The file is completed just after the call ends.
  let res!: Response;
  for (let i = 0; i < 50; i++) {
    res = await fetchRecording('recA');
    if (res.status === 200) break;
    await sleep(100);
  }
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  const file = Buffer.from(await res.arrayBuffer());
  assert.equal(file.toString('ascii', 0, 4), 'RIFF');
  assert.equal(file.readUInt16LE(22), 2, 'stereo');
  assert.equal(file.readUInt32LE(24), RATE, "the call's rate");
  assert.equal(file.readUInt32LE(40), file.length - 44, 'the header was completed with the data size');
  const pcm = new Int16Array(file.buffer.slice(file.byteOffset + 44, file.byteOffset + file.length));
  const seconds = pcm.length / 2 / RATE;
  assert.ok(Math.abs(seconds - endAtSec) < 0.3, `recording lasts ${seconds} s, the call ${endAtSec} s`);

  const loud = 1500;
  const quiet = 100;
  // Caller (left): where the caller spoke, and only there.
  assert.ok(rms(pcm, 0, 0.6, 0.9) > loud, `caller speech on the left: ${rms(pcm, 0, 0.6, 0.9)}`);
  assert.ok(rms(pcm, 0, 2.9, 3.1) > loud, 'the barge-in on the left');
  assert.ok(rms(pcm, 0, 0.05, 0.4) < quiet, 'silence before the caller spoke');
  assert.ok(rms(pcm, 0, 1.3, 2.1) < quiet, 'no agent audio on the left');
  // Agent (right): the first reply whole, the second until the clear, nothing after it.
  assert.ok(rms(pcm, 1, 1.3, 2.1) > loud, `agent reply on the right: ${rms(pcm, 1, 1.3, 2.1)}`);
  assert.ok(rms(pcm, 1, 0.05, 1.1) < quiet, 'no agent audio before the reply');
  assert.ok(rms(pcm, 1, 2.7, clearAtSec - 0.05) > loud, 'the barged-in reply until the clear');
  assert.ok(rms(pcm, 1, clearAtSec + 0.03, seconds) < quiet, `nothing of the cleared reply after ${clearAtSec} s: ${rms(pcm, 1, clearAtSec + 0.03, seconds)}`);
  assert.ok(rms(pcm, 1, 2.25, 2.55) < quiet, 'silence between the replies');

  // Range requests.
  const size = file.length;
  const head = await fetchRecording('recA', { range: 'bytes=0-43' });
  assert.equal(head.status, 206);
  assert.equal(head.headers.get('content-range'), `bytes 0-43/${size}`);
  assert.deepEqual(Buffer.from(await head.arrayBuffer()), file.subarray(0, 44));
  const tail = await fetchRecording('recA', { range: 'bytes=-100' });
  assert.equal(tail.status, 206);
  assert.equal(tail.headers.get('content-range'), `bytes ${size - 100}-${size - 1}/${size}`);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), file.subarray(size - 100));
  const open = await fetchRecording('recA', { range: 'bytes=1000-' });
  assert.equal(open.status, 206);
  assert.equal(Number(open.headers.get('content-length')), size - 1000);
  assert.deepEqual(Buffer.from(await open.arrayBuffer()), file.subarray(1000));
  const beyond = await fetchRecording('recA', { range: `bytes=${size}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${size}`);
  await beyond.arrayBuffer();

  // DELETE removes the record and its recording.
  const record = (await (await fetch(`${gw.base}/calls/recA`)).json()) as { id: string; recording: { url: string; bytes: number } | null };
  assert.deepEqual(record.recording, { url: `/calls/${record.id}/recording`, bytes: size });
  const path = join(dir, 'recordings', `${record.id}.wav`);
  assert.ok(existsSync(path), 'the file is named after the record id');
  const del = await fetch(`${gw.base}/calls/recA`, { method: 'DELETE' });
  assert.equal(del.status, 204);
  assert.equal((await fetch(`${gw.base}/calls/recA`)).status, 404);
  assert.equal((await fetchRecording('recA')).status, 404);
  assert.equal(existsSync(path), false);
  assert.deepEqual(readdirSync(join(dir, 'recordings')).filter((n) => n.endsWith('.wav')), []);
  assert.equal((await fetch(`${gw.base}/calls/recA`, { method: 'DELETE' })).status, 404);
});

test('a call without a recording answers 404; a live call cannot be deleted', async () => {
  const id = await store.create({ direction: 'outbound', to: '+919876543210' });
  assert.equal((await fetchRecording(id)).status, 404);
  assert.equal(((await (await fetch(`${gw.base}/calls/${id}`)).json()) as { recording: unknown }).recording, null);
  assert.equal((await fetchRecording('not a valid id!')).status, 400);
  const del = await fetch(`${gw.base}/calls/${id}`, { method: 'DELETE' });
  assert.equal(del.status, 409, 'a queued call has not ended');
  store.update(id, { status: 'canceled' });
  assert.equal((await fetch(`${gw.base}/calls/${id}`, { method: 'DELETE' })).status, 204);
  assert.equal(await store.get(id), null);
});

test('a recording that cannot be written is counted and dropped; the call goes on and ends as usual', async () => {
  // The directory gone under the gateway: the recorder's file cannot be opened (as on a disk that failed).
  rmSync(join(dir, 'recordings'), { recursive: true, force: true });
  const next = agent.nextCall();
  const s = await ExotelSocket.open(`${gw.wsBase}/voicebot/ws?call_id=recFail`);
  s.start({ callSid: 'recFail', streamSid: 'strm-fail' });
  const call = await next;
  for (let i = 0; i < 50; i++) {
    s.media(tone(160, 8000, 300), i + 2);
    await sleep(20);
  }
  call.control.play(tone(RATE / 2, 10000));
  call.control.flush();
  await sleep(700);
  assert.equal(call.samples, 50 * 160, "the agent got every caller frame");
  assert.equal(call.ends.length, 0, 'the failed recording did not end the call');
  s.stop();
  await s.closed;
  await until(() => call.ends.length === 1, 2000, 'end');
  assert.equal(call.ends[0], 'caller-hangup');
  await sleep(200);
  const record = (await (await fetch(`${gw.base}/calls/recFail`)).json()) as { endReason: string; recording: unknown };
  assert.equal(record.endReason, 'caller-hangup');
  assert.equal(record.recording, null);
  assert.equal((await fetchRecording('recFail')).status, 404);
  const metrics = await (await fetch(`${gw.base}/metrics`)).text();
  const failures = /^exovoice_recording_failures_total\{stage="write"\} (\d+)/m.exec(metrics);
  assert.ok(failures && Number(failures[1]) >= 1, metrics.split('\n').filter((l) => l.includes('recording')).join('\n'));
});

test('a call ended by the server shutting down is still recorded by the time the server has closed', async () => {
  const dir2 = mkdtempSync(join(tmpdir(), 'exovoice-recordings-drain-'));
  const agent2 = new ScriptedAgent();
  const gw2 = await startGateway({ RECORD_CALLS: 'on', DATA_DIR: dir2 }, [agent2], { store, journal: new RecordJournal(store, createLogger('silent')) });
  try {
    const next = agent2.nextCall();
    const s = await ExotelSocket.open(`${gw2.wsBase}/voicebot/ws?call_id=recDrain`);
    s.start({ callSid: 'recDrain', streamSid: 'strm-drain' });
    await next;
    for (let i = 0; i < 25; i++) {
      s.media(tone(160, 8000, 300), i + 2);
      await sleep(20);
    }
    await gw2.close(); // drain(0): the call is ended, then the server closes
    const record = await store.get('recDrain');
    assert.ok(record, 'the call has a record');
    const names = readdirSync(join(dir2, 'recordings'));
    assert.deepEqual(names, [`${record!.id}.wav`], 'completed (no partial file left) before close resolved');
  } finally {
    rmSync(dir2, { recursive: true, force: true });
  }
});

test("the gateway's sweeper deletes recordings past RECORDING_RETENTION_DAYS and counts them", async () => {
  const dir3 = mkdtempSync(join(tmpdir(), 'exovoice-recordings-sweep-'));
  mkdirSync(join(dir3, 'recordings'));
  const old = join(dir3, 'recordings', `${newCallId(Date.now() - 3 * 86_400_000)}.wav`);
  const fresh = join(dir3, 'recordings', `${newCallId(Date.now())}.wav`);
  writeFileSync(old, Buffer.alloc(1000));
  writeFileSync(fresh, Buffer.alloc(1000));
  const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
  utimesSync(old, threeDaysAgo, threeDaysAgo);
  const gw3 = await startGateway({ RECORD_CALLS: 'on', DATA_DIR: dir3, RECORDING_RETENTION_DAYS: '2' }, [new ScriptedAgent()], { store, recordingSweepMs: 100 });
  try {
    await until(() => !existsSync(old), 3000, 'the expired recording swept');
    assert.ok(existsSync(fresh), 'a recording within the retention stays');
    const metrics = await (await fetch(`${gw3.base}/metrics`)).text();
    assert.match(metrics, /^exovoice_recordings_swept_total\{reason="expired"\} 1$/m);
  } finally {
    await gw3.close();
    rmSync(dir3, { recursive: true, force: true });
  }
});
