// A recorded call end to end: the simulator plays Exotel and a caller who barges in on the front desk's greeting.
// The recording's right channel must match what the simulated caller actually heard (its playout, marks and clear
// included), 20 ms window by 20 ms window, and its left channel must hold the caller's speech where it was said.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startConsoleGateway, type ConsoleGateway } from '../helpers/console-gateway.js';
import { nextReply } from '../helpers/heard-audio.js';
import { concat, silence, speechBounds, synthesize } from '../helpers/speech.js';

const RATE = 8000;
const WINDOW = RATE / 50; // 20 ms
let gateway: ConsoleGateway;

before(async () => {
  gateway = await startConsoleGateway({ env: { RECORD_CALLS: 'on' } });
});
after(async () => {
  await gateway?.close();
});

/** Per 20 ms window: is there sound (RMS over `threshold`)? `stride` 2 with `offset` picks a stereo channel. */
function loudness(pcm: Int16Array, stride: 1 | 2, channel: number, threshold = 300): boolean[] {
  const windows = Math.floor(pcm.length / stride / WINDOW);
  const out: boolean[] = [];
  for (let w = 0; w < windows; w++) {
    let e = 0;
    for (let i = w * WINDOW; i < (w + 1) * WINDOW; i++) e += pcm[i * stride + channel] ** 2;
    out.push(Math.sqrt(e / WINDOW) > threshold);
  }
  return out;
}

it("records what the caller heard: the greeting cut where the caller barged in, then the answer, and the caller's speech", async () => {
  const question = concat(await synthesize('what are your opening hours', RATE, 'rms'), silence(300, RATE));
  const call = await gateway.dial({ from: '09811122255' });
  // Talk over the greeting's second sentence: a barge-in, its audio cleared.
  await call.waitFor('markEchoed', { predicate: (m) => m.name === 'r1.0', timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 30));
  const sentAt = call.elapsedMs();
  void call.sendAudio(question);
  const clear = await call.waitFor('clear', { predicate: (c) => c.atMs >= sentAt, timeoutMs: 15_000 });
  assert.ok(clear.droppedMs > 100, `the clear dropped ${clear.droppedMs} ms of greeting`);
  const answer = await nextReply(call, clear.atMs);
  await new Promise((r) => setTimeout(r, 300));
  const report = await call.hangup();

  let res: Response | undefined;
  for (let i = 0; i < 100; i++) {
    res = await fetch(`${gateway.base}/calls/${call.callSid}/recording`);
    if (res.status === 200) break;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(res?.status, 200);
  const file = Buffer.from(await res!.arrayBuffer());
  assert.equal(file.readUInt16LE(22), 2);
  assert.equal(file.readUInt32LE(24), RATE);
  const pcm = new Int16Array(file.buffer.slice(file.byteOffset + 44, file.byteOffset + file.length));

  // The recording starts at the stream's start, the simulator's clock a little earlier: align on the first sound.
  const heard = loudness(report.playedAudio, 1, 0);
  const agent = loudness(pcm, 2, 1);
  const caller = loudness(pcm, 2, 0);
  const shift = heard.indexOf(true) - agent.indexOf(true);
  assert.ok(agent.indexOf(true) >= 0 && shift >= -5, `first sound heard at window ${heard.indexOf(true)}, recorded at ${agent.indexOf(true)}`);
  const simWindow = (ms: number) => Math.round(ms / 20) - shift;

  // Window by window, the right channel is what was heard (a window or two of slack at each edge).
  const end = Math.min(agent.length, heard.length - shift);
  let differ = 0;
  for (let w = 0; w < end; w++) {
    const h = heard[w + shift];
    if (agent[w] !== h && agent.slice(Math.max(0, w - 2), w + 3).every((x) => x !== h)) differ++;
  }
  assert.ok(differ <= 3, `${differ} of ${end} windows differ from what the caller heard`);
  // After the clear, nothing of the greeting: silence until the answer starts.
  const quiet = agent.slice(simWindow(clear.atMs) + 3, simWindow(answer.startMs) - 2);
  assert.ok(quiet.length > 5 && quiet.every((x) => !x), `silence between the clear and the answer (${quiet.length} windows): ${quiet.map(Number).join('')}`);
  assert.ok(agent.slice(simWindow(answer.startMs), simWindow(answer.endMs)).filter(Boolean).length > 20, 'the answer is recorded');

  // Left: the caller's question where it was said, and no agent audio leaking into it.
  const bounds = speechBounds(question, RATE);
  const onset = caller.indexOf(true);
  assert.ok(Math.abs(onset - simWindow(sentAt + bounds.startMs)) <= 5, `caller speech recorded at window ${onset}, said at ${simWindow(sentAt + bounds.startMs)}`);
  assert.ok(caller.slice(0, simWindow(sentAt) - 5).every((x) => !x), 'the caller channel is silent while only the agent spoke');

  // The recording lasts as long as the call's media.
  const record = (await gateway.store.get(call.callSid))!;
  const seconds = pcm.length / 2 / RATE;
  assert.ok(Math.abs(seconds * 1000 - (record.durations.mediaMs ?? 0)) < 500, `recording ${seconds} s, media ${record.durations.mediaMs} ms`);
});
