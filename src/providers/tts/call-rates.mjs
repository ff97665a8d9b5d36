// Rate conversion inside the TTS workers: an engine speaks at its voice's native rate, and the job returns the audio
// already at each call rate it was asked for, so the main thread (which paces every call's audio) never spends the
// ~20 ms a sentence takes to convert. The resampler is the project's own TypeScript module, loaded through tsx's
// scoped importer (these workers run without the tsx loader); a worker loads it once, alongside its engine.
import { tsImport } from 'tsx/esm/api';

/** Loads the resampler; resolves to `atRates`. Await it before `serve()`, so a ready worker converts at once. */
export async function loadCallRates() {
  const { resample } = await tsImport('../../audio/resample-buffer.ts', import.meta.url);
  /**
   * The job's reply for native audio: `{ rates, samples }` (one buffer per asked rate, in order; the native one
   * itself where a rate equals it), each buffer moved to the main thread once.
   */
  return function atRates(samples, sampleRate, rates) {
    if (!Array.isArray(rates) || rates.length === 0 || !rates.every((r) => Number.isInteger(r) && r > 0)) {
      throw Object.assign(new Error('job rates must be a non-empty list of positive integers'), { code: 'invalid-input' });
    }
    const converted = new Map();
    const out = rates.map((rate) => {
      if (rate === sampleRate) return samples;
      if (!converted.has(rate)) converted.set(rate, resample(samples, sampleRate, rate));
      return converted.get(rate);
    });
    return { result: { rates, samples: out }, transfer: [...new Set(out.map((s) => s.buffer))] };
  };
}
