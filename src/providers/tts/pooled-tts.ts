// The engine-independent half of the offline TTS providers: input checks, the worker-pool job, and
// sentence-by-sentence streaming. The worker returns the audio at the call rates (call-rates.mjs): rate conversion
// never runs on this thread, which paces every call's audio.
import { ProviderError, abortReason } from '../errors.js';
import type { MultiRateSynthesisOptions, SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../types.js';
import type { WorkerPool } from '../worker-pool.js';
import { splitSentences } from '../text/sentences.js';

/** Longest text accepted in one call (a phone reply is a few sentences; this bounds worker time). */
export const MAX_TEXT_CHARS = 4000;
const MIN_RATE = 8000;
const MAX_RATE = 48000;

export interface PooledTtsEngine {
  name: string;
  pool: WorkerPool;
  voices: readonly VoiceInfo[];
  /** Maps the caller's voice/language to the engine's voice argument; throws ProviderError. */
  resolveVoice(options: Pick<SynthesisOptions, 'voice' | 'language'>): string;
}

export class PooledTextToSpeech implements TextToSpeech {
  readonly name: string;
  readonly #engine: PooledTtsEngine;

  constructor(engine: PooledTtsEngine) {
    this.name = engine.name;
    this.#engine = engine;
  }

  voices(): readonly VoiceInfo[] {
    return this.#engine.voices;
  }

  async synthesize(text: string, options: SynthesisOptions): Promise<SynthesizedAudio> {
    const voice = this.#check(text, options, [options.sampleRate]);
    const [samples] = await this.#run(text.trim(), voice, [options.sampleRate], options.signal);
    return { samples: samples!, sampleRate: options.sampleRate };
  }

  /** One synthesis, converted in the worker to each rate. */
  async synthesizeRates(text: string, options: MultiRateSynthesisOptions): Promise<Int16Array[]> {
    const voice = this.#check(text, options, options.sampleRates);
    return this.#run(text.trim(), voice, options.sampleRates, options.signal);
  }

  async *stream(text: string, options: SynthesisOptions): AsyncIterable<Int16Array> {
    const voice = this.#check(text, options, [options.sampleRate]);
    const rate = [options.sampleRate];
    // An abort before the first sentence fires no event: check it here, and after each wait below.
    if (options.signal?.aborted) throw abortReason(options.signal);
    // Linked to the caller's signal, and aborted when the consumer stops early so queued
    // sentences are dropped from the pool.
    const local = new AbortController();
    const onAbort = () => local.abort(abortReason(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const sentences = splitSentences(text);
    let next: Promise<Int16Array[]> | undefined;
    try {
      for (let i = 0; i < sentences.length; i++) {
        const current = next ?? this.#run(sentences[i]!, voice, rate, local.signal);
        // Pipeline: the next sentence synthesizes (on another worker) while this one plays.
        next = i + 1 < sentences.length ? this.#run(sentences[i + 1]!, voice, rate, local.signal) : undefined;
        // It may fail while the consumer holds this chunk; the rejection is read on the next turn.
        next?.catch(() => {});
        const [chunk] = await current;
        if (options.signal?.aborted) throw abortReason(options.signal);
        yield chunk!;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (next) local.abort(new DOMException('stream closed', 'AbortError'));
    }
  }

  #check(text: string, options: Omit<SynthesisOptions, 'sampleRate'>, rates: readonly number[]): string {
    if (typeof text !== 'string' || text.trim() === '') throw new ProviderError('invalid-input', `${this.name}: text is empty`);
    if (text.length > MAX_TEXT_CHARS) {
      throw new ProviderError('invalid-input', `${this.name}: text is ${text.length} chars, the limit is ${MAX_TEXT_CHARS}`);
    }
    if (!Array.isArray(rates) || rates.length === 0) throw new ProviderError('invalid-input', `${this.name}: no sample rate asked for`);
    for (const rate of rates) {
      if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
        throw new ProviderError('invalid-input', `${this.name}: sampleRate ${rate} is not an integer in ${MIN_RATE}..${MAX_RATE}`);
      }
    }
    return this.#engine.resolveVoice(options);
  }

  /** The text's audio at each of `rates`, converted by the worker that synthesized it. */
  async #run(text: string, voice: string, rates: readonly number[], signal: AbortSignal | undefined): Promise<Int16Array[]> {
    const out = await this.#engine.pool.run<{ rates?: unknown; samples?: unknown }>({ text, voice, rates }, { signal });
    const samples = out.samples;
    const same = Array.isArray(out.rates) && out.rates.length === rates.length && rates.every((r, i) => (out.rates as unknown[])[i] === r);
    if (!same || !Array.isArray(samples) || samples.length !== rates.length || !samples.every((s) => s instanceof Int16Array)) {
      throw new ProviderError('engine-failed', `${this.name}: the worker did not return the audio at ${rates.join(', ')} Hz`);
    }
    return samples as Int16Array[];
  }
}
