import { readWav } from '../audio/wav.js';
import { resample } from '../audio/resample-buffer.js';

/** Caller audio: a WAV file's bytes (any rate), raw samples at a given rate, or samples at the stream rate. */
export type CallerAudioInput = Buffer | Int16Array | { samples: Int16Array; sampleRate: number };

/** Converts caller audio to mono PCM16 at the stream rate. */
export function toStreamRate(input: CallerAudioInput, streamRate: number): Int16Array {
  let samples: Int16Array;
  let rate: number;
  if (Buffer.isBuffer(input)) {
    ({ samples, sampleRate: rate } = readWav(input));
  } else if (input instanceof Int16Array) {
    samples = input;
    rate = streamRate;
  } else {
    ({ samples, sampleRate: rate } = input);
  }
  return rate === streamRate ? samples : resample(samples, rate, streamRate);
}

interface Pending {
  samples: Int16Array;
  offset: number;
  done: () => void;
}

/**
 * What the caller "says": queued clips are read out frame by frame; once they run out the frames are
 * silence, because Exotel keeps streaming media for the whole call.
 */
export class CallerAudioQueue {
  private readonly pending: Pending[] = [];

  /** Queues a clip after the ones already queued; resolves once its last sample has been read. */
  push(samples: Int16Array): Promise<void> {
    return new Promise((resolve) => {
      if (samples.length === 0) resolve();
      else this.pending.push({ samples, offset: 0, done: resolve });
    });
  }

  get idle(): boolean {
    return this.pending.length === 0;
  }

  /** Fills `out` with queued audio, padding with silence; returns how many samples were real audio. */
  read(out: Int16Array): number {
    let written = 0;
    while (written < out.length && this.pending.length > 0) {
      const head = this.pending[0];
      const n = Math.min(out.length - written, head.samples.length - head.offset);
      out.set(head.samples.subarray(head.offset, head.offset + n), written);
      head.offset += n;
      written += n;
      if (head.offset >= head.samples.length) {
        this.pending.shift();
        head.done();
      }
    }
    if (written < out.length) out.fill(0, written);
    return written;
  }

  /** Abandons queued audio (call ended) and settles every waiter. */
  cancel(): void {
    for (const p of this.pending.splice(0)) p.done();
  }
}
