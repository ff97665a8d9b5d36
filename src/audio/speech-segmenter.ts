// Turns per-frame voiced/unvoiced decisions into acoustic speech segments.
//
// Pure and deterministic: stream time is frame index × frame length, never the wall clock, so
// the same audio always yields the same events whatever the chunking. Memory is bounded: a ring
// of the last (pre-roll + max window) frames, and a segment buffer capped at maxSegmentMs.

export interface SpeechSegmenterTuning {
  /** Voiced audio needed (within speechWindowMs) to declare speech (default 80). */
  minSpeechMs?: number;
  /** Window in which minSpeechMs of voiced frames must fall (default 120; ≥ minSpeechMs, ≤ maxWindowMs). */
  speechWindowMs?: number;
  /** Unvoiced audio that ends a segment (default 300). */
  hangoverMs?: number;
}

export interface SpeechSegmenterOptions extends SpeechSegmenterTuning {
  sampleRate: number;
  frameMs: number;
  /** Audio kept before the onset and delivered with the segment (default 250). */
  preRollMs?: number;
  /** Largest speechWindowMs allowed at runtime; sizes the ring buffer (default 500). */
  maxWindowMs?: number;
  /** Cap on the audio kept per segment, pre-roll included (default 30000). */
  maxSegmentMs?: number;
}

export interface SpeechStartEvent {
  type: 'speech-start';
  /** Onset: start of the first voiced frame of the run that triggered detection, ms. */
  startMs: number;
  /** Stream time at which the decision was made (end of the confirming frame), ms. */
  detectedAtMs: number;
  /** Where the segment's audio begins (onset minus the available pre-roll), ms. */
  audioStartMs: number;
}

export interface SpeechEndEvent {
  type: 'speech-end';
  reason: 'silence' | 'end-of-stream';
  startMs: number;
  /** End of the last voiced frame, ms. */
  endMs: number;
  detectedAtMs: number;
  audioStartMs: number;
  /** Segment audio from audioStartMs up to detectedAtMs (trailing hangover included), at most maxSegmentMs. Owned by the receiver. */
  audio: Int16Array;
  /** True when the segment outgrew maxSegmentMs and `audio` holds only its beginning. */
  truncated: boolean;
}

/** The segment buffer is full; speech continues but no more audio is kept for this segment. */
export interface SegmentTruncatedEvent {
  type: 'segment-truncated';
  startMs: number;
  /** Stream time of the first sample not kept, ms. */
  atMs: number;
}

export type SegmenterEvent = SpeechStartEvent | SpeechEndEvent | SegmentTruncatedEvent;

export const SEGMENTER_DEFAULTS = {
  minSpeechMs: 80,
  speechWindowMs: 120,
  hangoverMs: 300,
  preRollMs: 250,
  maxWindowMs: 500,
  maxSegmentMs: 30_000,
} as const;

export class SpeechSegmenter {
  readonly sampleRate: number;
  readonly frameMs: number;
  readonly frameSamples: number;
  readonly preRollMs: number;
  readonly maxWindowMs: number;
  readonly maxSegmentMs: number;

  readonly #preRollFrames: number;
  readonly #maxWindowFrames: number;
  readonly #ringFrames: number;
  readonly #ring: Int16Array;
  readonly #voicedHist: Uint8Array;
  readonly #maxSegmentSamples: number;

  #minSpeechMs = 0;
  #speechWindowMs = 0;
  #hangoverMs = 0;
  #minSpeechFrames = 0;
  #windowFrames = 0;
  #hangoverFrames = 0;

  #next = 0; // index of the next frame
  #levelDbfs = -Infinity;
  #voicedRatio = 0;
  #lastVoiced = false;

  #inSpeech = false;
  #earliestOnset = 0; // frames before this belong to an earlier segment
  #onsetFrame = 0;
  #lastVoicedFrame = 0;
  #silentFrames = 0;
  #audioStartFrame = 0;
  #seg: Int16Array | null = null;
  #segLen = 0;
  #drained = 0;
  #truncated = false;

  constructor(options: SpeechSegmenterOptions) {
    const d = SEGMENTER_DEFAULTS;
    const { sampleRate, frameMs, preRollMs = d.preRollMs, maxWindowMs = d.maxWindowMs, maxSegmentMs = d.maxSegmentMs } = options;
    const frameSamples = (sampleRate * frameMs) / 1000;
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`${frameMs} ms is not a whole number of samples at ${sampleRate} Hz`);
    if (!(preRollMs >= 0)) throw new RangeError('preRollMs must be ≥ 0');
    if (!(maxWindowMs >= frameMs)) throw new RangeError('maxWindowMs must be ≥ one frame');
    this.sampleRate = sampleRate;
    this.frameMs = frameMs;
    this.frameSamples = frameSamples;
    this.preRollMs = preRollMs;
    this.maxWindowMs = maxWindowMs;
    this.#preRollFrames = Math.ceil(preRollMs / frameMs);
    this.#maxWindowFrames = Math.ceil(maxWindowMs / frameMs);
    this.#ringFrames = this.#preRollFrames + this.#maxWindowFrames;
    if (!(maxSegmentMs >= this.#ringFrames * frameMs)) throw new RangeError('maxSegmentMs must cover preRollMs + maxWindowMs');
    this.maxSegmentMs = maxSegmentMs;
    this.#maxSegmentSamples = Math.floor((maxSegmentMs * sampleRate) / 1000);
    this.#ring = new Int16Array(this.#ringFrames * frameSamples);
    this.#voicedHist = new Uint8Array(this.#maxWindowFrames);
    this.configure({
      minSpeechMs: options.minSpeechMs ?? d.minSpeechMs,
      speechWindowMs: options.speechWindowMs ?? Math.max(d.speechWindowMs, options.minSpeechMs ?? 0),
      hangoverMs: options.hangoverMs ?? d.hangoverMs,
    });
  }

  /**
   * Change detection thresholds from the next frame on, e.g. demand more speech while the bot
   * is talking. Unspecified fields keep their value; the result is validated as a whole.
   */
  configure(tuning: SpeechSegmenterTuning): void {
    const minSpeechMs = tuning.minSpeechMs ?? this.#minSpeechMs;
    const speechWindowMs = tuning.speechWindowMs ?? this.#speechWindowMs;
    const hangoverMs = tuning.hangoverMs ?? this.#hangoverMs;
    if (!(minSpeechMs > 0)) throw new RangeError('minSpeechMs must be > 0');
    if (!(speechWindowMs >= minSpeechMs && speechWindowMs <= this.maxWindowMs)) {
      throw new RangeError(`speechWindowMs must be within [minSpeechMs, maxWindowMs=${this.maxWindowMs}]`);
    }
    if (!(hangoverMs > 0)) throw new RangeError('hangoverMs must be > 0');
    this.#minSpeechMs = minSpeechMs;
    this.#speechWindowMs = speechWindowMs;
    this.#hangoverMs = hangoverMs;
    this.#minSpeechFrames = Math.ceil(minSpeechMs / this.frameMs);
    this.#windowFrames = Math.min(this.#maxWindowFrames, Math.max(this.#minSpeechFrames, Math.round(speechWindowMs / this.frameMs)));
    this.#hangoverFrames = Math.ceil(hangoverMs / this.frameMs);
  }

  get tuning(): Required<SpeechSegmenterTuning> {
    return { minSpeechMs: this.#minSpeechMs, speechWindowMs: this.#speechWindowMs, hangoverMs: this.#hangoverMs };
  }

  /** Stream time consumed so far, ms. */
  get streamMs(): number {
    return this.#next * this.frameMs;
  }

  get inSpeech(): boolean {
    return this.#inSpeech;
  }

  /** Level of the last frame, dBFS. */
  get levelDbfs(): number {
    return this.#levelDbfs;
  }

  /** Whether the last frame was voiced. */
  get lastVoiced(): boolean {
    return this.#lastVoiced;
  }

  /** Share of voiced frames in the current speech window, 0..1: a soft speech likelihood. */
  get voicedRatio(): number {
    return this.#voicedRatio;
  }

  /**
   * Segment audio (pre-roll first) added since the previous call, or null outside speech or when
   * nothing is new. Lets a streaming recogniser get exactly the segment's samples, no gaps or repeats.
   */
  drainSegmentAudio(): Int16Array | null {
    if (!this.#inSpeech || this.#seg === null || this.#drained === this.#segLen) return null;
    const out = this.#seg.slice(this.#drained, this.#segLen);
    this.#drained = this.#segLen;
    return out;
  }

  /**
   * Feed one frame (exactly frameSamples samples). Events it causes are appended to `out`.
   * `pcm` is copied, so the caller may reuse it.
   */
  pushFrame(pcm: Int16Array, voiced: boolean, levelDbfs: number, out: SegmenterEvent[]): void {
    if (pcm.length !== this.frameSamples) throw new RangeError(`frame must be ${this.frameSamples} samples, got ${pcm.length}`);
    const i = this.#next++;
    this.#ring.set(pcm, (i % this.#ringFrames) * this.frameSamples);
    this.#voicedHist[i % this.#maxWindowFrames] = voiced ? 1 : 0;
    this.#levelDbfs = levelDbfs;
    this.#lastVoiced = voiced;

    // Voiced frames in the window: all of them for the ratio; for onset detection only those
    // after the previous segment, the earliest of which is the candidate onset.
    const from = Math.max(0, i - this.#windowFrames + 1);
    let count = 0;
    let fresh = 0;
    let first = -1;
    for (let k = from; k <= i; k++) {
      if (this.#voicedHist[k % this.#maxWindowFrames] === 1) {
        count++;
        if (k >= this.#earliestOnset) {
          fresh++;
          if (first < 0) first = k;
        }
      }
    }
    this.#voicedRatio = count / this.#windowFrames;

    if (!this.#inSpeech) {
      if (voiced && fresh >= this.#minSpeechFrames) this.#start(first, i, out);
      return;
    }
    this.#append(pcm, out);
    if (voiced) {
      this.#lastVoicedFrame = i;
      this.#silentFrames = 0;
    } else if (++this.#silentFrames >= this.#hangoverFrames) {
      out.push(this.#end('silence'));
    }
  }

  /** End of stream: closes an open segment. */
  finish(out: SegmenterEvent[]): void {
    if (this.#inSpeech) out.push(this.#end('end-of-stream'));
  }

  #start(onset: number, now: number, out: SegmenterEvent[]): void {
    const audioStart = Math.max(0, onset - this.#preRollFrames);
    const frames = now - audioStart + 1;
    const fs = this.frameSamples;
    // Initial capacity fits the ring's worth of audio plus ~2 s; grows by doubling up to the cap.
    const seg = new Int16Array(Math.min(this.#maxSegmentSamples, this.#ring.length + 2 * this.sampleRate));
    for (let k = 0; k < frames; k++) {
      const slot = ((audioStart + k) % this.#ringFrames) * fs;
      seg.set(this.#ring.subarray(slot, slot + fs), k * fs);
    }
    this.#seg = seg;
    this.#segLen = frames * fs;
    this.#drained = 0;
    this.#truncated = false;
    this.#inSpeech = true;
    this.#onsetFrame = onset;
    this.#lastVoicedFrame = now;
    this.#silentFrames = 0;
    this.#audioStartFrame = audioStart;
    out.push({ type: 'speech-start', startMs: onset * this.frameMs, detectedAtMs: (now + 1) * this.frameMs, audioStartMs: audioStart * this.frameMs });
  }

  #append(pcm: Int16Array, out: SegmenterEvent[]): void {
    if (this.#truncated || this.#seg === null) return;
    const room = this.#maxSegmentSamples - this.#segLen;
    const n = Math.min(room, pcm.length);
    if (this.#segLen + n > this.#seg.length) {
      const grown = new Int16Array(Math.min(this.#maxSegmentSamples, this.#seg.length * 2));
      grown.set(this.#seg.subarray(0, this.#segLen));
      this.#seg = grown;
    }
    this.#seg.set(n === pcm.length ? pcm : pcm.subarray(0, n), this.#segLen);
    this.#segLen += n;
    if (n < pcm.length) {
      this.#truncated = true;
      const firstDropped = (this.#next - 1) * this.frameSamples + n;
      out.push({ type: 'segment-truncated', startMs: this.#onsetFrame * this.frameMs, atMs: (firstDropped * 1000) / this.sampleRate });
    }
  }

  #end(reason: SpeechEndEvent['reason']): SpeechEndEvent {
    const ev: SpeechEndEvent = {
      type: 'speech-end',
      reason,
      startMs: this.#onsetFrame * this.frameMs,
      endMs: (this.#lastVoicedFrame + 1) * this.frameMs,
      detectedAtMs: this.#next * this.frameMs,
      audioStartMs: this.#audioStartFrame * this.frameMs,
      audio: this.#seg === null ? new Int16Array(0) : this.#seg.subarray(0, this.#segLen),
      truncated: this.#truncated,
    };
    // The receiver owns the buffer now; the next segment allocates its own.
    this.#seg = null;
    this.#segLen = 0;
    this.#drained = 0;
    this.#inSpeech = false;
    this.#earliestOnset = this.#next;
    return ev;
  }
}
