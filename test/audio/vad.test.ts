import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameVad, loadVadRuntime } from '../../src/audio/vad.js';
import type { FrameVadOptions, VadFrameMs, VadSampleRate } from '../../src/audio/vad.js';
import { chunked, concat, silence, speechBounds, synthesize, whiteNoise } from '../helpers/speech.js';

const RATES: VadSampleRate[] = [8000, 16000, 24000];
const SENTENCE = 'Hello, I would like to check my account balance please.';

interface Decision {
  index: number;
  startMs: number;
  voiced: boolean;
  fvadVoiced: boolean;
  levelDbfs: number;
}

async function classify(options: FrameVadOptions, chunks: Int16Array[]): Promise<Decision[]> {
  const vad = await FrameVad.create(options);
  const out: Decision[] = [];
  for (const c of chunks) {
    vad.push(c, (f) => out.push({ index: f.index, startMs: f.startMs, voiced: f.voiced, fvadVoiced: f.fvadVoiced, levelDbfs: f.levelDbfs }));
  }
  vad.close();
  return out;
}

test('digital silence and quiet hiss are never voiced', async () => {
  for (const rate of RATES) {
    for (const input of [silence(3000, rate), whiteNoise(3000, rate, -70)]) {
      const frames = await classify({ sampleRate: rate }, [input]);
      assert.equal(frames.length, 150);
      assert.equal(frames.filter((f) => f.voiced).length, 0, `${rate} Hz`);
    }
  }
});

test('energy gate: low-level noise that fvad flags stays unvoiced', async () => {
  const rate = 8000;
  const noise = whiteNoise(3000, rate, -55, 3);
  // Without warm-up, a fresh fvad flags the first frames of noise as voiced: the gate must catch them.
  const frames = await classify({ sampleRate: rate, warmupMs: 0 }, [noise]);
  assert.ok(frames.some((f) => f.fvadVoiced), 'premise: fvad alone calls some of this noise voiced');
  assert.equal(frames.filter((f) => f.voiced).length, 0);
  for (const f of frames) assert.ok(Math.abs(f.levelDbfs - -55) < 1.5, `level ${f.levelDbfs}`);
  // Lowering the floor below the noise lets fvad's decisions through.
  const ungated = await classify({ sampleRate: rate, warmupMs: 0, energyFloorDbfs: -70 }, [noise]);
  assert.ok(ungated.some((f) => f.voiced));
});

test("warm-up hides fvad's start-of-stream false positives", async () => {
  const noise = whiteNoise(2000, 8000, -45, 5);
  const raw = await classify({ sampleRate: 8000, warmupMs: 0 }, [noise]);
  assert.ok(raw.slice(0, 6).some((f) => f.voiced), 'premise: fresh fvad flags the first frames');
  const warm = await classify({ sampleRate: 8000 }, [noise]);
  assert.equal(warm.filter((f) => f.voiced).length, 0);
});

test('speech is voiced where it is and only there, at 8, 16 and 24 kHz', async () => {
  for (const rate of RATES) {
    const speech = await synthesize(SENTENCE, rate);
    const truth = speechBounds(speech, rate);
    const frames = await classify({ sampleRate: rate }, [concat(silence(1000, rate), speech, silence(1000, rate))]);
    const start = 1000 + truth.startMs;
    const end = 1000 + truth.endMs;
    const inside = frames.filter((f) => f.startMs >= start && f.startMs + 20 <= end);
    const voicedInside = inside.filter((f) => f.voiced).length / inside.length;
    assert.ok(voicedInside > 0.7, `${rate} Hz: only ${voicedInside} of speech frames voiced`);
    const stray = frames.filter((f) => f.voiced && (f.startMs + 20 <= start - 40 || f.startMs >= end + 100));
    assert.deepEqual(stray, [], `${rate} Hz: voiced frames outside the speech`);
    const firstVoiced = frames.find((f) => f.voiced);
    assert.ok(firstVoiced && Math.abs(firstVoiced.startMs - start) <= 60, `${rate} Hz onset ${firstVoiced?.startMs} vs ${start}`);
  }
});

test('24 kHz input (decimated for fvad) agrees with the same speech at 8 kHz', async () => {
  const at = async (rate: VadSampleRate) =>
    (await classify({ sampleRate: rate }, [concat(silence(500, rate), await synthesize(SENTENCE, rate), silence(500, rate))])).map((f) => f.voiced);
  const [narrow, wide] = [await at(8000), await at(24000)];
  assert.equal(narrow.length, wide.length);
  const differing = narrow.filter((v, i) => v !== wide[i]).length;
  assert.ok(differing / narrow.length < 0.05, `${differing} of ${narrow.length} frames differ`);
});

test('decisions do not depend on chunk sizes', async () => {
  for (const rate of RATES) {
    const signal = concat(silence(500, rate), await synthesize(SENTENCE, rate), whiteNoise(500, rate, -60));
    const whole = await classify({ sampleRate: rate }, [signal]);
    for (const sizes of [[rate / 50], [rate / 10], [1, 7, 333, 4097, 2]]) {
      assert.deepEqual(await classify({ sampleRate: rate }, chunked(signal, sizes)), whole, `${rate} Hz, chunks ${sizes}`);
    }
  }
});

test('10, 20 and 30 ms frames all classify speech', async () => {
  const speech = await synthesize(SENTENCE, 16000);
  const signal = concat(silence(600, 16000), speech, silence(600, 16000));
  for (const frameMs of [10, 20, 30] as VadFrameMs[]) {
    const frames = await classify({ sampleRate: 16000, frameMs }, [signal]);
    assert.equal(frames.length, Math.floor(signal.length / (16 * frameMs)));
    assert.equal(frames[1].startMs, frameMs);
    const voicedMs = frames.filter((f) => f.voiced).length * frameMs;
    assert.ok(voicedMs > 2000 && voicedMs < 3600, `${frameMs} ms frames: ${voicedMs} ms voiced`);
  }
});

test('partial frames wait for the next chunk', async () => {
  const vad = await FrameVad.create({ sampleRate: 8000 });
  let n = 0;
  assert.equal(vad.push(new Int16Array(100), () => n++), 0);
  assert.equal(vad.pendingSamples, 100);
  assert.equal(vad.push(new Int16Array(300), () => n++), 2);
  assert.equal(n, 2);
  assert.equal(vad.pendingSamples, 80);
  assert.equal(vad.framesProcessed, 2);
  vad.close();
});

test('instances share one runtime without sharing state', async () => {
  const rate = 8000;
  const speech = concat(silence(300, rate), await synthesize(SENTENCE, rate), silence(300, rate));
  const noise = whiteNoise((speech.length / rate) * 1000, rate, -40, 9);
  const alone = [await classify({ sampleRate: rate }, [speech]), await classify({ sampleRate: rate }, [noise])];
  const runtime = await loadVadRuntime();
  const before = runtime.liveInstances;
  const a = new FrameVad(runtime, { sampleRate: rate });
  const b = new FrameVad(runtime, { sampleRate: rate });
  assert.equal(runtime.liveInstances, before + 2);
  const got: boolean[][] = [[], []];
  // Interleave frame by frame so any state leaking through the shared module would show.
  for (let off = 0; off < speech.length; off += 160) {
    a.push(speech.subarray(off, off + 160), (f) => got[0].push(f.voiced));
    b.push(noise.subarray(off, off + 160), (f) => got[1].push(f.voiced));
  }
  assert.deepEqual(got[0], alone[0].map((f) => f.voiced));
  assert.deepEqual(got[1], alone[1].map((f) => f.voiced));
  a.close();
  b.close();
  b.close();
  assert.equal(runtime.liveInstances, before);
  assert.throws(() => a.push(new Int16Array(160), () => {}), /closed/);
});

test('reset() starts over like a fresh instance', async () => {
  const rate = 16000;
  const signal = concat(silence(300, rate), await synthesize('Yes, that is correct.', rate));
  const fresh = await classify({ sampleRate: rate }, [signal]);
  const vad = await FrameVad.create({ sampleRate: rate, mode: 3 });
  vad.push(whiteNoise(700, rate, -30), () => {});
  vad.mode = 2;
  vad.reset();
  const again: Decision[] = [];
  vad.push(signal, (f) => again.push({ index: f.index, startMs: f.startMs, voiced: f.voiced, fvadVoiced: f.fvadVoiced, levelDbfs: f.levelDbfs }));
  vad.close();
  assert.deepEqual(again, fresh);
});

test('invalid settings are rejected', async () => {
  const runtime = await loadVadRuntime();
  assert.throws(() => new FrameVad(runtime, { sampleRate: 11025 as VadSampleRate }), RangeError);
  assert.throws(() => new FrameVad(runtime, { sampleRate: 8000, frameMs: 25 as VadFrameMs }), RangeError);
  const vad = new FrameVad(runtime, { sampleRate: 8000 });
  assert.throws(() => {
    vad.mode = 4 as 3;
  }, RangeError);
  assert.equal(vad.mode, 2);
  vad.close();
});
