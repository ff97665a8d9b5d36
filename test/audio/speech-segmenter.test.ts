import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechDetector } from '../../src/audio/speech-detector.js';
import type { FrameActivity, SpeechDetectorOptions } from '../../src/audio/speech-detector.js';
import { SpeechSegmenter } from '../../src/audio/speech-segmenter.js';
import type { SegmenterEvent, SpeechEndEvent, SpeechSegmenterOptions } from '../../src/audio/speech-segmenter.js';
import type { VadSampleRate } from '../../src/audio/vad.js';
import { chunked, concat, mix, silence, speechBounds, synthesize, whiteNoise } from '../helpers/speech.js';

const RATES: VadSampleRate[] = [8000, 16000, 24000];
const FIRST = 'Hello, I would like to check my account balance please.';
const SECOND = 'Yes, that is correct.';
const TOLERANCE_MS = 100;

async function detect(options: SpeechDetectorOptions, chunks: Int16Array[]): Promise<SegmenterEvent[]> {
  const d = await SpeechDetector.create(options);
  const events: SegmenterEvent[] = [];
  for (const c of chunks) events.push(...d.push(c));
  events.push(...d.finish());
  d.close();
  return events;
}

function ms(samples: Int16Array, rate: number): number {
  return (samples.length / rate) * 1000;
}

/** Leading silence, the utterances separated by `gapMs` of silence, trailing silence; with true speech bounds. */
async function scene(rate: number, texts: string[], gapMs = 1000, leadMs = 1000) {
  const parts: Int16Array[] = [silence(leadMs, rate)];
  const truth: { startMs: number; endMs: number }[] = [];
  let t = leadMs;
  for (const [i, text] of texts.entries()) {
    if (i > 0) {
      parts.push(silence(gapMs, rate));
      t += gapMs;
    }
    const speech = await synthesize(text, rate);
    const b = speechBounds(speech, rate);
    truth.push({ startMs: t + b.startMs, endMs: t + b.endMs });
    parts.push(speech);
    t += ms(speech, rate);
  }
  parts.push(silence(1000, rate));
  return { signal: concat(...parts), truth };
}

function segments(events: SegmenterEvent[]): SpeechEndEvent[] {
  return events.filter((e): e is SpeechEndEvent => e.type === 'speech-end');
}

test('silence and low-level hiss produce no events', async () => {
  for (const rate of RATES) {
    assert.deepEqual(await detect({ sampleRate: rate }, [silence(5000, rate)]), []);
    assert.deepEqual(await detect({ sampleRate: rate }, [whiteNoise(5000, rate, -55, 11)]), [], `${rate} Hz hiss`);
  }
});

test('one utterance in silence gives exactly one segment at the true onset and offset (8/16/24 kHz)', async () => {
  for (const rate of RATES) {
    const { signal, truth } = await scene(rate, [FIRST]);
    const events = await detect({ sampleRate: rate }, [signal]);
    assert.deepEqual(events.map((e) => e.type), ['speech-start', 'speech-end'], `${rate} Hz`);
    const [start, end] = events as [Extract<SegmenterEvent, { type: 'speech-start' }>, SpeechEndEvent];
    assert.ok(Math.abs(start.startMs - truth[0].startMs) <= TOLERANCE_MS, `${rate} Hz onset ${start.startMs} vs ${truth[0].startMs}`);
    assert.ok(Math.abs(end.endMs - truth[0].endMs) <= TOLERANCE_MS, `${rate} Hz offset ${end.endMs} vs ${truth[0].endMs}`);
    assert.equal(end.startMs, start.startMs);
    assert.equal(end.reason, 'silence');
    assert.equal(end.truncated, false);
    // Detection latency is what we configured: minSpeechMs after onset, hangoverMs after offset.
    assert.ok(start.detectedAtMs - start.startMs >= 80 && start.detectedAtMs - start.startMs <= 120);
    assert.equal(end.detectedAtMs - end.endMs, 300);
  }
});

test('two utterances 1 s apart give two segments', async () => {
  for (const rate of RATES) {
    const { signal, truth } = await scene(rate, [FIRST, SECOND], 1000);
    const segs = segments(await detect({ sampleRate: rate }, [signal]));
    assert.equal(segs.length, 2, `${rate} Hz`);
    for (const [i, s] of segs.entries()) {
      assert.ok(Math.abs(s.startMs - truth[i].startMs) <= TOLERANCE_MS, `${rate} Hz #${i} onset ${s.startMs} vs ${truth[i].startMs}`);
      assert.ok(Math.abs(s.endMs - truth[i].endMs) <= TOLERANCE_MS, `${rate} Hz #${i} offset ${s.endMs} vs ${truth[i].endMs}`);
    }
  }
});

test('speech over a quiet line-noise floor is still one segment', async () => {
  const rate = 8000;
  const { signal, truth } = await scene(rate, [FIRST]);
  const noisy = mix(signal, whiteNoise(ms(signal, rate), rate, -60, 21));
  const segs = segments(await detect({ sampleRate: rate }, [noisy]));
  assert.equal(segs.length, 1);
  assert.ok(Math.abs(segs[0].startMs - truth[0].startMs) <= TOLERANCE_MS);
  assert.ok(Math.abs(segs[0].endMs - truth[0].endMs) <= TOLERANCE_MS);
});

test('segment audio is the input from pre-roll before the onset to the end decision', async () => {
  for (const rate of RATES) {
    const { signal, truth } = await scene(rate, [FIRST]);
    const [seg] = segments(await detect({ sampleRate: rate, preRollMs: 300 }, [signal]));
    assert.equal(seg.audioStartMs, seg.startMs - 300);
    assert.ok(seg.audioStartMs < truth[0].startMs - 150, 'the first syllable and some lead-in are included');
    const from = (seg.audioStartMs * rate) / 1000;
    const to = (seg.detectedAtMs * rate) / 1000;
    assert.equal(seg.audio.length, to - from);
    assert.deepEqual(seg.audio, signal.subarray(from, to), `${rate} Hz`);
  }
});

test('pre-roll is clipped at the start of the stream', async () => {
  const rate = 8000;
  const speech = await synthesize(SECOND, rate);
  assert.ok(speechBounds(speech, rate).startMs < 250, 'premise: speech starts within the pre-roll of the stream start');
  const [seg] = segments(await detect({ sampleRate: rate }, [concat(speech, silence(600, rate))]));
  assert.equal(seg.audioStartMs, 0);
  assert.deepEqual(seg.audio.subarray(0, speech.length), speech);
});

test('draining segment audio while speaking yields exactly the segment audio', async () => {
  const rate = 16000;
  const { signal } = await scene(rate, [FIRST, SECOND], 1000);
  const d = await SpeechDetector.create({ sampleRate: rate });
  const streamed: Int16Array[][] = [];
  const ends: SpeechEndEvent[] = [];
  let current: Int16Array[] | null = null;
  for (const c of chunked(signal, [1600, 37, 999])) {
    for (const e of d.push(c)) {
      if (e.type === 'speech-start') streamed.push((current = []));
      if (e.type === 'speech-end') {
        ends.push(e);
        current = null;
      }
    }
    const more = d.drainSegmentAudio();
    if (more) {
      assert.ok(current, 'audio is only drained inside a segment');
      current.push(more);
    }
  }
  d.close();
  assert.equal(ends.length, 2);
  // Whatever was not drained before speech-end arrives is in the event's audio.
  for (const [i, end] of ends.entries()) {
    const drained = concat(...streamed[i]);
    assert.ok(drained.length > 0 && drained.length <= end.audio.length);
    assert.deepEqual(drained, end.audio.subarray(0, drained.length));
  }
});

test('events do not depend on chunk sizes', async () => {
  for (const rate of RATES) {
    const { signal } = await scene(rate, [FIRST, SECOND], 1000);
    const reference = await detect({ sampleRate: rate }, chunked(signal, [rate / 50]));
    assert.equal(segments(reference).length, 2);
    for (const sizes of [[rate / 10], [1, 7, 333, 4097, 2], [signal.length]]) {
      assert.deepEqual(await detect({ sampleRate: rate }, chunked(signal, sizes)), reference, `${rate} Hz chunks ${sizes}`);
    }
  }
});

test('onFrame reports level, voiced ratio and segment state per frame', async () => {
  const rate = 8000;
  const { signal, truth } = await scene(rate, [SECOND]);
  const seen: { startMs: number; levelDbfs: number; voicedRatio: number; inSpeech: boolean }[] = [];
  await detect({ sampleRate: rate, onFrame: (a: FrameActivity) => seen.push({ startMs: a.startMs, levelDbfs: a.levelDbfs, voicedRatio: a.voicedRatio, inSpeech: a.inSpeech }) }, [signal]);
  assert.equal(seen.length, Math.floor(signal.length / 160));
  const during = seen.filter((f) => f.startMs >= truth[0].startMs + 200 && f.startMs < truth[0].endMs - 200);
  const before = seen.filter((f) => f.startMs < truth[0].startMs - 100);
  assert.ok(during.every((f) => f.inSpeech));
  assert.ok(before.every((f) => !f.inSpeech && f.voicedRatio === 0));
  // The scene starts with 1 s of digital silence, reported at the level floor.
  assert.ok(seen.filter((f) => f.startMs < 1000).every((f) => f.levelDbfs === -100));
  assert.ok(during.reduce((s, f) => s + f.voicedRatio, 0) / during.length > 0.6);
  assert.ok(Math.max(...during.map((f) => f.levelDbfs)) > -30);
});

test('raising minSpeechMs at runtime ignores a short word', async () => {
  const rate = 8000;
  const word = await synthesize('Yes.', rate);
  const signal = concat(silence(500, rate), word, silence(800, rate));
  const d = await SpeechDetector.create({ sampleRate: rate });
  assert.equal(segments([...d.push(signal), ...d.finish()]).length, 1);
  // e.g. while the bot speaks: demand most of a 500 ms window to be voiced.
  d.configure({ minSpeechMs: 400, speechWindowMs: 500 });
  assert.deepEqual(d.segmenter.tuning, { minSpeechMs: 400, speechWindowMs: 500, hangoverMs: 300 });
  assert.deepEqual([...d.push(signal), ...d.finish()], []);
  d.close();
});

// The segmenter alone, driven by scripted frame decisions ('#' voiced, '.' unvoiced).

const FRAME = 160; // 20 ms at 8 kHz

function runScript(script: string, options: Partial<SpeechSegmenterOptions> = {}, finish = false): { events: SegmenterEvent[]; seg: SpeechSegmenter } {
  const seg = new SpeechSegmenter({ sampleRate: 8000, frameMs: 20, ...options });
  const events: SegmenterEvent[] = [];
  const pcm = new Int16Array(FRAME);
  for (let i = 0; i < script.length; i++) {
    pcm.fill(i); // each frame's samples carry its index, so audio ranges can be checked
    seg.pushFrame(pcm, script[i] === '#', script[i] === '#' ? -20 : -80, events);
  }
  if (finish) seg.finish(events);
  return { events, seg };
}

test('speech starts after minSpeechMs voiced within the window, dated at the first voiced frame', () => {
  assert.deepEqual(runScript('.....###.....').events, []);
  const { events } = runScript('.....#.###.....');
  assert.deepEqual(events[0], { type: 'speech-start', startMs: 100, detectedAtMs: 200, audioStartMs: 0 });
  // Voiced frames spread wider than the window do not add up.
  assert.deepEqual(runScript('..#..#..#..#..#..#..').events, []);
});

test('speech ends after hangoverMs of unvoiced frames; a shorter pause does not split', () => {
  const ten = '#'.repeat(10);
  const { events } = runScript(`${'.'.repeat(20)}${ten}${'.'.repeat(14)}${ten}${'.'.repeat(15)}..`);
  assert.deepEqual(events.map((e) => e.type), ['speech-start', 'speech-end']);
  const end = events[1] as SpeechEndEvent;
  assert.equal(end.startMs, 400);
  assert.equal(end.endMs, (20 + 10 + 14 + 10) * 20);
  assert.equal(end.detectedAtMs, end.endMs + 300);
  // Pre-roll 250 ms rounds up to 13 frames; frames are tagged with their index.
  assert.equal(end.audioStartMs, 400 - 260);
  assert.equal(end.audio.length, (end.detectedAtMs - end.audioStartMs) * 8);
  assert.equal(end.audio[0], 7);
  assert.equal(end.audio[end.audio.length - 1], end.detectedAtMs / 20 - 1);
});

test('a second segment cannot claim the previous one as its onset', () => {
  // The window still holds the first burst when the second begins: only new frames may count.
  const { events } = runScript('#####..#.###.........', { hangoverMs: 40, speechWindowMs: 200 });
  assert.deepEqual(events.map((e) => e.type), ['speech-start', 'speech-end', 'speech-start', 'speech-end']);
  assert.deepEqual(events[2], { type: 'speech-start', startMs: 7 * 20, detectedAtMs: 12 * 20, audioStartMs: 0 });
});

test('over-long segments are truncated and reported, the segment itself goes on', () => {
  const { events } = runScript(`${'#'.repeat(100)}...`, { maxSegmentMs: 1000 }, true);
  assert.deepEqual(events.map((e) => e.type), ['speech-start', 'segment-truncated', 'speech-end']);
  assert.deepEqual(events[1], { type: 'segment-truncated', startMs: 0, atMs: 1000 });
  const end = events[2] as SpeechEndEvent;
  assert.equal(end.reason, 'end-of-stream');
  assert.equal(end.truncated, true);
  assert.equal(end.endMs, 2000);
  assert.equal(end.audio.length, 8000);
});

test('finish() closes an open segment and is a no-op otherwise', () => {
  const { events } = runScript('....######', {}, true);
  assert.deepEqual(events.map((e) => e.type), ['speech-start', 'speech-end']);
  assert.equal((events[1] as SpeechEndEvent).endMs, 200);
  assert.deepEqual(runScript('....##....', {}, true).events, []);
});

test('bad settings are rejected', () => {
  assert.throws(() => new SpeechSegmenter({ sampleRate: 8000, frameMs: 20, speechWindowMs: 40, minSpeechMs: 80 }), RangeError);
  assert.throws(() => new SpeechSegmenter({ sampleRate: 8000, frameMs: 20, maxSegmentMs: 500 }), RangeError);
  assert.throws(() => new SpeechSegmenter({ sampleRate: 11025, frameMs: 20 }), RangeError);
  const seg = new SpeechSegmenter({ sampleRate: 8000, frameMs: 20 });
  assert.throws(() => seg.configure({ speechWindowMs: 2000 }), RangeError);
  assert.throws(() => seg.pushFrame(new Int16Array(100), true, -20, []), RangeError);
  assert.deepEqual(seg.tuning, { minSpeechMs: 80, speechWindowMs: 120, hangoverMs: 300 });
});
