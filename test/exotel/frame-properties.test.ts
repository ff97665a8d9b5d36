import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MediaPacer } from '../../src/call/media-pacer.js';
import { ManualScheduler } from '../../src/clock/scheduler.js';
import { bytesPerMs, checkFrameBytes, defaultFrameBytes, FRAME_ALIGN_BYTES, MAX_FRAME_BYTES, MIN_FRAME_BYTES, MIN_FRAME_MS } from '../../src/exotel/frame-rules.js';
import { createMessageEncoder } from '../../src/exotel/outgoing-messages.js';

/** Exotel's three rates, and any other plausible one. */
const rate = fc.oneof(fc.constantFrom(8000, 16000, 24000), fc.integer({ min: 4000, max: 48000 }));

test('the default frame obeys every rule at any rate', () => {
  fc.assert(
    fc.property(rate, (r) => {
      const bytes = defaultFrameBytes(r);
      assert.equal(checkFrameBytes(bytes, r), undefined);
      assert.equal(bytes % FRAME_ALIGN_BYTES, 0);
      assert.ok(bytes >= MIN_FRAME_BYTES && bytes <= MAX_FRAME_BYTES);
      assert.ok(bytes / bytesPerMs(r) >= MIN_FRAME_MS);
      // The smallest such: one alignment step less breaks a rule.
      assert.notEqual(checkFrameBytes(bytes - FRAME_ALIGN_BYTES, r), undefined);
    }),
    { numRuns: 500 },
  );
});

test('checkFrameBytes accepts exactly the sizes that obey the rules', () => {
  fc.assert(
    fc.property(rate, fc.integer({ min: 0, max: 120_000 }), (r, bytes) => {
      const legal = bytes % FRAME_ALIGN_BYTES === 0 && bytes >= MIN_FRAME_BYTES && bytes <= MAX_FRAME_BYTES && bytes / bytesPerMs(r) >= MIN_FRAME_MS;
      assert.equal(checkFrameBytes(bytes, r) === undefined, legal);
    }),
    { numRuns: 500 },
  );
});

/** Utterances of arbitrary lengths, each played in arbitrary chunks (byte counts, odd ones included). */
const utterances = fc.array(fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

test('the pacer sends only legal frames, pads each utterance\'s last, and loses no audio', () => {
  fc.assert(
    fc.property(rate, utterances, fc.integer({ min: 0, max: 400 }), (sampleRate, plan, leadMs) => {
      const clock = new ManualScheduler();
      const payloads: Buffer[] = [];
      const pacer = new MediaPacer({
        sampleRate,
        leadMs,
        scheduler: clock,
        encoder: createMessageEncoder('sid'),
        send: (text) => {
          const msg = JSON.parse(text) as { event: string; media?: { payload: string } };
          if (msg.event === 'media') payloads.push(Buffer.from(msg.media!.payload, 'base64'));
        },
      });
      let fill = 1;
      const expected: Buffer[] = [];
      for (const chunks of plan) {
        const utterance: Buffer[] = [];
        for (const n of chunks) {
          // Distinct non-zero samples, so lost, doubled or reordered audio shows.
          const pcm = Buffer.alloc(n);
          for (let i = 0; i + 1 < n; i += 2) pcm.writeInt16LE(((fill++ % 32000) + 1), i);
          pacer.play(pcm);
          utterance.push(pcm.subarray(0, n - (n % 2)));
        }
        pacer.flush();
        const audio = Buffer.concat(utterance);
        const padded = Math.ceil(audio.length / pacer.frameBytes) * pacer.frameBytes;
        expected.push(Buffer.concat([audio, Buffer.alloc(padded - audio.length)]));
      }
      // Everything leaves at real-time pace: enough time for all of it.
      const totalBytes = expected.reduce((sum, b) => sum + b.length, 0);
      clock.advance(totalBytes / bytesPerMs(sampleRate) + 10_000);
      for (const p of payloads) {
        assert.equal(p.length, pacer.frameBytes);
        assert.equal(p.length % FRAME_ALIGN_BYTES, 0);
        assert.ok(p.length >= MIN_FRAME_BYTES && p.length / bytesPerMs(sampleRate) >= MIN_FRAME_MS);
      }
      assert.deepEqual(Buffer.concat(payloads), Buffer.concat(expected), 'the audio, in order, each utterance zero-padded to whole frames');
      assert.equal(pacer.stats.bytesOut, totalBytes);
      assert.ok(pacer.idle);
      pacer.close();
    }),
    { numRuns: 200 },
  );
});
