// What the streaming-recogniser tests share: a tone to speak, writing audio the way the media path does, and an
// event collector to wait on.
import assert from 'node:assert/strict';
import { ProviderError } from '../../src/providers/errors.js';
import type { SttEvent } from '../../src/providers/types.js';

/** A 440 Hz tone: loud enough for any fake's energy VAD. */
export function tone(ms: number, rate: number, amplitude = 8000): Int16Array {
  const out = new Int16Array((ms * rate) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

/** Writes audio in 20 ms frames through one reused frame buffer, as the media path does. */
export function writeFrames(stream: { write(a: Int16Array): void }, rate: number, ...parts: Int16Array[]): void {
  const size = rate / 50;
  const frame = new Int16Array(size);
  for (const part of parts) {
    for (let i = 0; i < part.length; i += size) {
      frame.set(part.subarray(i, i + size));
      stream.write(frame);
    }
  }
}

/** The ProviderError an error event carries. */
export function errOf(e: SttEvent): ProviderError {
  assert.ok(e.type === 'error' && e.error instanceof ProviderError, `not a ProviderError event: ${JSON.stringify(e)}`);
  return e.error;
}

/** Events as they come, and promises for the ones a test waits on. */
export function collector() {
  const events: SttEvent[] = [];
  const waiters: { pred: (e: SttEvent) => boolean; resolve: (e: SttEvent) => void }[] = [];
  return {
    events,
    onEvent(e: SttEvent) {
      events.push(e);
      for (const w of [...waiters]) {
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    },
    waitFor(pred: (e: SttEvent) => boolean): Promise<SttEvent> {
      const found = events.find(pred);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    /** Resolves with the n-th (1-based) event matching `pred`. */
    waitForNth(pred: (e: SttEvent) => boolean, n: number): Promise<SttEvent> {
      let seen = 0;
      return this.waitFor((e) => pred(e) && ++seen === n);
    },
  };
}
