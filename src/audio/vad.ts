// Per-call voice activity detection over WebRTC's VAD (libfvad compiled to WASM).
//
// One WASM module instance (≈16 MiB linear memory, grown on demand) is shared by the whole
// process; each FrameVad only mallocs libfvad's state inside it (744 bytes) plus a few small
// JS buffers. fvad_process is synchronous and JS is single-threaded, so all instances share one
// scratch buffer in WASM memory for the frame being classified.
import createFvadModule from '@echogarden/fvad-wasm';

/** Input rates accepted. 24 kHz is decimated 3:1 to 8 kHz for fvad; the others are native to fvad. */
export type VadSampleRate = 8000 | 16000 | 24000 | 32000 | 48000;
export type VadFrameMs = 10 | 20 | 30;
/** libfvad aggressiveness: 0 = quality (most voiced) … 3 = very aggressive (fewest voiced). */
export type VadMode = 0 | 1 | 2 | 3;

export const VAD_SAMPLE_RATES: readonly VadSampleRate[] = [8000, 16000, 24000, 32000, 48000];
/** Lowest level reported; digital silence would otherwise be -Infinity. */
export const MIN_LEVEL_DBFS = -100;

/** Frames this far below the energy floor skip fvad (they are unvoiced either way). */
const SKIP_FVAD_BELOW_FLOOR_DB = 15;

export interface FrameVadOptions {
  sampleRate: VadSampleRate;
  /** Frame length in ms (default 20). */
  frameMs?: VadFrameMs;
  /** fvad aggressiveness (default 2). */
  mode?: VadMode;
  /** Frames whose RMS level is below this (dBFS, full-scale square wave = 0) are unvoiced whatever fvad says (default -50). */
  energyFloorDbfs?: number;
  /**
   * Frames starting before this stream time are unvoiced (default 120). A fresh fvad instance
   * calls the first ~100 ms voiced whatever the input (its noise model starts unadapted), which
   * would otherwise open a speech segment at the start of every call.
   */
  warmupMs?: number;
}

/**
 * One classified frame. FrameVad reuses a single object (and `pcm` buffer) for every frame:
 * read or copy what you need inside the callback, do not keep references.
 */
export interface VadFrame {
  /** 0-based index of this frame in the stream. */
  readonly index: number;
  /** Stream time of the frame's first sample, ms (index × frameMs). */
  readonly startMs: number;
  /** The frame's samples at the input rate. */
  readonly pcm: Int16Array;
  /** Final decision: fvad said voiced, level ≥ energy floor, and past the warm-up. */
  readonly voiced: boolean;
  /** fvad's own decision, before the energy gate (false, without asking fvad, for frames 15 dB below the floor). */
  readonly fvadVoiced: boolean;
  /** RMS level of the frame in dBFS (≥ MIN_LEVEL_DBFS). */
  readonly levelDbfs: number;
}

export type VadFrameHandler = (frame: VadFrame) => void;

interface FvadModule {
  HEAP16: Int16Array;
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_reset(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, length: number): number;
  _malloc(size: number): number;
  _free(ptr: number): void;
}

/** Largest frame fvad ever sees: 30 ms at 48 kHz. */
const MAX_FVAD_FRAME_SAMPLES = 1440;

/** The process-wide fvad WASM module. Obtain it with loadVadRuntime(). */
export class VadRuntime {
  readonly #mod: FvadModule;
  readonly #scratch: number;
  #live = 0;

  constructor(mod: FvadModule) {
    this.#mod = mod;
    this.#scratch = mod._malloc(MAX_FVAD_FRAME_SAMPLES * 2);
    if (this.#scratch === 0) throw new Error('fvad: malloc failed');
  }

  /** Number of FrameVad instances created on this runtime and not yet closed. */
  get liveInstances(): number {
    return this.#live;
  }

  /** Current size of the shared WASM linear memory, bytes. */
  get wasmMemoryBytes(): number {
    return this.#mod.HEAP16.byteLength;
  }

  /** @internal used by FrameVad */
  newInstance(fvadRate: number, mode: VadMode): number {
    const inst = this.#mod._fvad_new();
    if (inst === 0) throw new Error('fvad: fvad_new failed (out of WASM memory)');
    this.#configure(inst, fvadRate, mode);
    this.#live++;
    return inst;
  }

  /** @internal */
  freeInstance(inst: number): void {
    this.#mod._fvad_free(inst);
    this.#live--;
  }

  /** @internal */
  resetInstance(inst: number, fvadRate: number, mode: VadMode): void {
    // fvad_reset also restores default mode and rate, so re-apply ours.
    this.#mod._fvad_reset(inst);
    this.#configure(inst, fvadRate, mode);
  }

  /** @internal */
  setMode(inst: number, mode: VadMode): void {
    if (this.#mod._fvad_set_mode(inst, mode) !== 0) throw new RangeError(`fvad: invalid mode ${mode}`);
  }

  /** @internal classify `length` samples of `samples` (already at fvadRate). */
  classify(inst: number, samples: Int16Array, length: number): boolean {
    // Read HEAP16 each time: the view is replaced whenever the WASM memory grows.
    const heap = this.#mod.HEAP16;
    const base = this.#scratch >> 1;
    for (let i = 0; i < length; i++) heap[base + i] = samples[i];
    const r = this.#mod._fvad_process(inst, this.#scratch, length);
    if (r < 0) throw new Error('fvad: fvad_process rejected the frame');
    return r === 1;
  }

  #configure(inst: number, fvadRate: number, mode: VadMode): void {
    if (this.#mod._fvad_set_sample_rate(inst, fvadRate) !== 0) throw new RangeError(`fvad: invalid rate ${fvadRate}`);
    this.setMode(inst, mode);
  }
}

let runtimePromise: Promise<VadRuntime> | undefined;

/** Load (once per process) the shared fvad WASM module. */
export function loadVadRuntime(): Promise<VadRuntime> {
  runtimePromise ??= (createFvadModule() as Promise<FvadModule>).then((mod) => new VadRuntime(mod));
  return runtimePromise;
}

// 31-tap Hamming-windowed sinc low-pass for 24 kHz → 8 kHz: cutoff 3.6 kHz, unity DC gain.
// Good enough to keep aliasing out of fvad's 0–4 kHz sub-bands; this is not a general resampler.
const DECIMATION_TAPS = designLowPass(31, 3600 / 24000);

function designLowPass(taps: number, cutoff: number): Float32Array {
  const h = new Float32Array(taps);
  const mid = (taps - 1) / 2;
  let sum = 0;
  for (let i = 0; i < taps; i++) {
    const x = i - mid;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const w = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (taps - 1));
    h[i] = sinc * w;
    sum += h[i];
  }
  for (let i = 0; i < taps; i++) h[i] /= sum;
  return h;
}

/** Streaming 3:1 decimator with filter state carried across frames. */
class Decimate3 {
  readonly #history = DECIMATION_TAPS.length - 1;
  readonly #work: Float32Array;

  constructor(maxInput: number) {
    this.#work = new Float32Array(this.#history + maxInput);
  }

  /** Filter `length` samples of `input` (a multiple of 3) into `out`; returns samples written. */
  process(input: Int16Array, length: number, out: Int16Array): number {
    const work = this.#work;
    const hist = this.#history;
    const h = DECIMATION_TAPS;
    const taps = h.length;
    for (let i = 0; i < length; i++) work[hist + i] = input[i];
    let n = 0;
    for (let pos = hist + 2; pos < hist + length; pos += 3) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += h[k] * work[pos - k];
      const v = Math.round(acc);
      out[n++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    work.copyWithin(0, length, length + hist);
    return n;
  }

  reset(): void {
    this.#work.fill(0);
  }
}

interface MutableVadFrame {
  index: number;
  startMs: number;
  pcm: Int16Array;
  voiced: boolean;
  fvadVoiced: boolean;
  levelDbfs: number;
}

/**
 * Per-call VAD: feed arbitrary-size PCM16 chunks, get one decision per frame.
 * Samples left over after the last whole frame are kept for the next push().
 */
export class FrameVad {
  readonly sampleRate: VadSampleRate;
  readonly frameMs: VadFrameMs;
  /** Samples per frame at the input rate. */
  readonly frameSamples: number;
  energyFloorDbfs: number;
  readonly warmupMs: number;

  readonly #runtime: VadRuntime;
  readonly #fvadRate: number;
  readonly #frameBuf: Int16Array;
  readonly #decimator: Decimate3 | null;
  readonly #fvadBuf: Int16Array | null;
  readonly #frame: MutableVadFrame;
  #mode: VadMode;
  #inst: number;
  #fill = 0;
  #index = 0;

  /** Create on the shared runtime, loading it if needed. */
  static async create(options: FrameVadOptions): Promise<FrameVad> {
    return new FrameVad(await loadVadRuntime(), options);
  }

  constructor(runtime: VadRuntime, options: FrameVadOptions) {
    const { sampleRate, frameMs = 20, mode = 2, energyFloorDbfs = -50, warmupMs = 120 } = options;
    if (!VAD_SAMPLE_RATES.includes(sampleRate)) throw new RangeError(`unsupported sample rate ${sampleRate}`);
    if (frameMs !== 10 && frameMs !== 20 && frameMs !== 30) throw new RangeError(`unsupported frame length ${frameMs} ms`);
    this.sampleRate = sampleRate;
    this.frameMs = frameMs;
    this.frameSamples = (sampleRate * frameMs) / 1000;
    this.energyFloorDbfs = energyFloorDbfs;
    this.warmupMs = warmupMs;
    this.#runtime = runtime;
    this.#fvadRate = sampleRate === 24000 ? 8000 : sampleRate;
    this.#frameBuf = new Int16Array(this.frameSamples);
    this.#decimator = sampleRate === 24000 ? new Decimate3(this.frameSamples) : null;
    this.#fvadBuf = sampleRate === 24000 ? new Int16Array(this.frameSamples / 3) : null;
    this.#frame = { index: 0, startMs: 0, pcm: this.#frameBuf, voiced: false, fvadVoiced: false, levelDbfs: MIN_LEVEL_DBFS };
    this.#mode = mode;
    this.#inst = runtime.newInstance(this.#fvadRate, mode);
  }

  get mode(): VadMode {
    return this.#mode;
  }

  /** Change aggressiveness from the next frame on. */
  set mode(mode: VadMode) {
    this.#assertOpen();
    this.#runtime.setMode(this.#inst, mode);
    this.#mode = mode;
  }

  /** Frames classified so far. */
  get framesProcessed(): number {
    return this.#index;
  }

  /** Samples waiting for the next frame to complete. */
  get pendingSamples(): number {
    return this.#fill;
  }

  get closed(): boolean {
    return this.#inst === 0;
  }

  /** Feed a chunk; `onFrame` runs synchronously for each completed frame. Returns frames completed. */
  push(chunk: Int16Array, onFrame: VadFrameHandler): number {
    this.#assertOpen();
    const buf = this.#frameBuf;
    const size = this.frameSamples;
    let done = 0;
    let i = 0;
    while (i < chunk.length) {
      // Plain copy loop: subarray() would allocate a view per frame.
      let fill = this.#fill;
      const end = Math.min(chunk.length, i + size - fill);
      while (i < end) buf[fill++] = chunk[i++];
      this.#fill = fill;
      if (fill === size) {
        this.#fill = 0;
        this.#classify();
        onFrame(this.#frame);
        done++;
      }
    }
    return done;
  }

  /** Forget all history (fvad state, partial frame, frame count; warm-up starts again) but keep the settings. */
  reset(): void {
    this.#assertOpen();
    this.#runtime.resetInstance(this.#inst, this.#fvadRate, this.#mode);
    this.#decimator?.reset();
    this.#fill = 0;
    this.#index = 0;
  }

  /** Release the WASM state. Idempotent. */
  close(): void {
    if (this.#inst === 0) return;
    this.#runtime.freeInstance(this.#inst);
    this.#inst = 0;
  }

  #classify(): void {
    const pcm = this.#frameBuf;
    const n = pcm.length;
    let energy = 0;
    for (let i = 0; i < n; i++) energy += pcm[i] * pcm[i];
    const ms = energy / n;
    const level = ms > 0 ? Math.max(MIN_LEVEL_DBFS, 10 * Math.log10(ms / (32768 * 32768))) : MIN_LEVEL_DBFS;
    let fvadVoiced: boolean;
    if (level < this.energyFloorDbfs - SKIP_FVAD_BELOW_FLOOR_DB) {
      // Far below the gate the frame is unvoiced whatever fvad says; not asking saves most of the per-call VAD
      // cost while the caller is silent (most of a call). fvad's noise model then adapts on louder frames only.
      fvadVoiced = false;
    } else if (this.#decimator !== null && this.#fvadBuf !== null) {
      const m = this.#decimator.process(pcm, n, this.#fvadBuf);
      fvadVoiced = this.#runtime.classify(this.#inst, this.#fvadBuf, m);
    } else {
      fvadVoiced = this.#runtime.classify(this.#inst, pcm, n);
    }
    const f = this.#frame;
    f.index = this.#index;
    f.startMs = this.#index * this.frameMs;
    f.fvadVoiced = fvadVoiced;
    f.levelDbfs = level;
    f.voiced = fvadVoiced && level >= this.energyFloorDbfs && f.startMs >= this.warmupMs;
    this.#index++;
  }

  #assertOpen(): void {
    if (this.#inst === 0) throw new Error('FrameVad is closed');
  }
}
