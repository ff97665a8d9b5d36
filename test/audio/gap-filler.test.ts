import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GapFiller, feedSilence } from '../../src/audio/gap-filler.js';

test('continuous timestamps insert nothing, whatever the chunk size', () => {
  const g = new GapFiller(8000);
  let ts = 100;
  for (const samples of [800, 160, 160, 1600, 320]) {
    assert.equal(g.gapBefore(ts, samples), 0);
    ts += (samples / 8000) * 1000;
  }
  assert.equal(g.gaps, 0);
});

test('a jump in media.timestamp is filled with the missing time as silence', () => {
  const g = new GapFiller(16000);
  assert.equal(g.gapBefore(0, 1600), 0); // 0..100 ms
  assert.equal(g.gapBefore(100, 1600), 0);
  assert.equal(g.gapBefore(700, 1600), 500 * 16, 'the chunks for 200..700 ms never came');
  assert.equal(g.gapBefore(800, 1600), 0, 'and the stream goes on from there');
  assert.equal(g.gaps, 1);
  assert.equal(g.filledMs, 500);
});

test('jitter within the tolerance, backwards timestamps and missing ones insert nothing', () => {
  const g = new GapFiller(8000, { toleranceMs: 40 });
  g.gapBefore(0, 800);
  assert.equal(g.gapBefore(135, 800), 0, '35 ms late is jitter');
  assert.equal(g.gapBefore(200, 800), 0, 'early is not a gap');
  assert.equal(g.gapBefore(undefined, 800), 0);
  assert.equal(g.gapBefore(450, 800), 50 * 8, 'expected 400 after the unstamped chunk; 450 is 50 ms late');
});

test('a very long gap is filled only up to maxGapMs', () => {
  const g = new GapFiller(8000, { maxGapMs: 2000 });
  g.gapBefore(0, 160);
  assert.equal(g.gapBefore(60_000, 160), 2000 * 8);
});

test('feedSilence hands over exactly that many zero samples in bounded pieces', () => {
  const pieces: number[] = [];
  let nonZero = 0;
  feedSilence(12_345, (pcm) => {
    pieces.push(pcm.length);
    for (const s of pcm) if (s !== 0) nonZero++;
  });
  assert.equal(pieces.reduce((a, b) => a + b, 0), 12_345);
  assert.ok(pieces.length > 1 && Math.max(...pieces) <= 4800);
  assert.equal(nonZero, 0);
});
