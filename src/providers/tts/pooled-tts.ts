// The engine-independent half of the offline TTS providers: input checks, the worker-pool job,
// resampling to the call rate, and sentence-by-sentence streaming.
import { ProviderError, abortReason } from '../errors.js';
import { resample } from '../../audio/resample-buffer.js';
import type { SynthesisOptions, SynthesizedAudio, TextToSpeech, VoiceInfo } from '../types.js';
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
  resolveVoice(options: SynthesisOptions): string;
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
    const voice = this.#check(text, options);
    const samples = await this.#run(text.trim(), voice, options.sampleRate, options.signal);
    return { samples, sampleRate: options.sampleRate };
  }

  async *stream(text: string, options: SynthesisOptions): AsyncIterable<Int16Array> {
    const voice = this.#check(text, options);
    // An abort before the first sentence fires no event: check it here, and after each wait below.
    if (options.signal?.aborted) throw abortReason(options.signal);
    // Linked to the caller's signal, and aborted when the consumer stops early so queued
    // sentences are dropped from the pool.
    const local = new AbortController();
    const onAbort = () => local.abort(abortReason(options.signal!));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const sentences = splitSentences(text);
    let next: Promise<Int16Array> | undefined;
    try {
      for (let i = 0; i < sentences.length; i++) {
        const current = next ?? this.#run(sentences[i]!, voice, options.sampleRate, local.signal);
        // Pipeline: the next sentence synthesizes (on another worker) while this one plays.
        next = i + 1 < sentences.length ? this.#run(sentences[i + 1]!, voice, options.sampleRate, local.signal) : undefined;
        // It may fail while the consumer holds this chunk; the rejection is read on the next turn.
        next?.catch(() => {});
        const chunk = await current;
        if (options.signal?.aborted) throw abortReason(options.signal);
        yield chunk;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (next) local.abort(new DOMException('stream closed', 'AbortError'));
    }
  }

  #check(text: string, options: SynthesisOptions): string {
    if (typeof text !== 'string' || text.trim() === '') throw new ProviderError('invalid-input', `${this.name}: text is empty`);
    if (text.length > MAX_TEXT_CHARS) {
      throw new ProviderError('invalid-input', `${this.name}: text is ${text.length} chars, the limit is ${MAX_TEXT_CHARS}`);
    }
    const rate = options.sampleRate;
    if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
      throw new ProviderError('invalid-input', `${this.name}: sampleRate ${rate} is not an integer in ${MIN_RATE}..${MAX_RATE}`);
    }
    return this.#engine.resolveVoice(options);
  }

  async #run(text: string, voice: string, rate: number, signal: AbortSignal | undefined): Promise<Int16Array> {
    const out = await this.#engine.pool.run<{ samples: Int16Array; sampleRate: number }>({ text, voice }, { signal });
    return out.sampleRate === rate ? out.samples : resample(out.samples, out.sampleRate, rate);
  }
}
