// Per-call speech detection: FrameVad (fvad + energy gate) feeding a SpeechSegmenter.
// Push caller audio in chunks of any size; speech-start/speech-end events come back synchronously.
import { SpeechSegmenter } from './speech-segmenter.js';
import type { SegmenterEvent, SpeechSegmenterOptions, SpeechSegmenterTuning } from './speech-segmenter.js';
import { FrameVad, loadVadRuntime } from './vad.js';
import type { FrameVadOptions, VadFrame, VadMode, VadRuntime } from './vad.js';

/** Per-frame view for observers (e.g. barge-in logic). One object is reused: read it inside the callback. */
export interface FrameActivity {
  readonly index: number;
  readonly startMs: number;
  readonly voiced: boolean;
  readonly fvadVoiced: boolean;
  readonly levelDbfs: number;
  /** Share of voiced frames in the current speech window, 0..1. */
  readonly voicedRatio: number;
  /** Whether a speech segment is open after this frame. */
  readonly inSpeech: boolean;
}

export interface SpeechDetectorOptions extends FrameVadOptions, Omit<SpeechSegmenterOptions, 'sampleRate' | 'frameMs'> {
  /** Called after every frame, synchronously, before push() returns. */
  onFrame?: (activity: FrameActivity) => void;
}

const NO_EVENTS: readonly SegmenterEvent[] = Object.freeze([]);

export class SpeechDetector {
  readonly vad: FrameVad;
  readonly segmenter: SpeechSegmenter;
  readonly #onFrame: ((activity: FrameActivity) => void) | undefined;
  readonly #activity = { index: 0, startMs: 0, voiced: false, fvadVoiced: false, levelDbfs: 0, voicedRatio: 0, inSpeech: false };
  readonly #handleFrame: (frame: VadFrame) => void;
  #events: SegmenterEvent[] = [];

  /** Create on the shared fvad runtime, loading it if needed. */
  static async create(options: SpeechDetectorOptions): Promise<SpeechDetector> {
    return new SpeechDetector(await loadVadRuntime(), options);
  }

  constructor(runtime: VadRuntime, options: SpeechDetectorOptions) {
    this.vad = new FrameVad(runtime, options);
    try {
      this.segmenter = new SpeechSegmenter({ ...options, sampleRate: this.vad.sampleRate, frameMs: this.vad.frameMs });
    } catch (err) {
      this.vad.close();
      throw err;
    }
    this.#onFrame = options.onFrame;
    // Bound once so push() allocates nothing per frame.
    this.#handleFrame = (frame) => {
      const seg = this.segmenter;
      seg.pushFrame(frame.pcm, frame.voiced, frame.levelDbfs, this.#events);
      if (this.#onFrame === undefined) return;
      const a = this.#activity;
      a.index = frame.index;
      a.startMs = frame.startMs;
      a.voiced = frame.voiced;
      a.fvadVoiced = frame.fvadVoiced;
      a.levelDbfs = frame.levelDbfs;
      a.voicedRatio = seg.voicedRatio;
      a.inSpeech = seg.inSpeech;
      this.#onFrame(a);
    };
  }

  /** Feed caller audio (PCM16 mono at the configured rate); returns the events it caused, in order. */
  push(pcm: Int16Array): readonly SegmenterEvent[] {
    this.vad.push(pcm, this.#handleFrame);
    return this.#takeEvents();
  }

  /** End of stream (e.g. hang-up): closes an open segment. A partial trailing frame is ignored. */
  finish(): readonly SegmenterEvent[] {
    this.segmenter.finish(this.#events);
    return this.#takeEvents();
  }

  /** Runtime threshold changes (see SpeechSegmenter.configure). */
  configure(tuning: SpeechSegmenterTuning & { mode?: VadMode; energyFloorDbfs?: number }): void {
    // Check the mode before changing anything so a bad call leaves all settings as they were.
    if (tuning.mode !== undefined && ![0, 1, 2, 3].includes(tuning.mode)) throw new RangeError(`invalid VAD mode ${tuning.mode}`);
    this.segmenter.configure(tuning);
    if (tuning.mode !== undefined) this.vad.mode = tuning.mode;
    if (tuning.energyFloorDbfs !== undefined) this.vad.energyFloorDbfs = tuning.energyFloorDbfs;
  }

  get inSpeech(): boolean {
    return this.segmenter.inSpeech;
  }

  /** See SpeechSegmenter.drainSegmentAudio. */
  drainSegmentAudio(): Int16Array | null {
    return this.segmenter.drainSegmentAudio();
  }

  /** Free the fvad state. Idempotent. */
  close(): void {
    this.vad.close();
  }

  #takeEvents(): readonly SegmenterEvent[] {
    if (this.#events.length === 0) return NO_EVENTS;
    const out = this.#events;
    this.#events = [];
    return out;
  }
}
