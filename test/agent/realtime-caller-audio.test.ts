import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CallerAudio } from '../../src/agent/kinds/realtime/caller-audio.js';
import { chooseRealtimeFormat } from '../../src/providers/realtime/realtime-audio.js';

/** A tone with a slow sweep, so every stretch of it differs from the others. */
function frame(rate: number, index: number, ms = 20): Int16Array {
  const n = (rate * ms) / 1000;
  return Int16Array.from({ length: n }, (_, i) => {
    const t = (index * n + i) / rate;
    return Math.round(8000 * Math.sin(2 * Math.PI * (200 + 300 * t) * t));
  });
}

for (const rate of [8000, 16000, 24000]) {
  test(`${rate} Hz: the recent audio is the tail of what was sent, byte for byte`, () => {
    const format = chooseRealtimeFormat(rate);
    const bytesPerMs = format === 'pcm16' ? 48 : 8;
    const audio = new CallerAudio(rate, format);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) sent.push(audio.encode(frame(rate, i)).slice());
    assert.deepEqual(Buffer.from(audio.recent()), Buffer.concat(sent), 'under a second sent: all of it');
    for (let i = 10; i < 90; i++) sent.push(audio.encode(frame(rate, i)).slice());
    const all = Buffer.concat(sent);
    assert.deepEqual(Buffer.from(audio.recent(300)), all.subarray(all.length - 300 * bytesPerMs));
    assert.deepEqual(Buffer.from(audio.recent()), all.subarray(all.length - 1000 * bytesPerMs), 'a second at the most');
  });
}
