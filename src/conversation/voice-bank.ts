// Sentence audio for replies: synthesized on demand, except fixed texts (greeting, prompts,
// static answers), which are synthesized once per voice and sample rate and then served from
// memory, so a greeting can start playing the moment a call starts.
import { splitSentences } from '../providers/tts/sentences.js';
import type { TextToSpeech } from '../providers/types.js';

/** A voice as definitions name it: a provider and one of its voices. */
export interface VoiceSpec {
  provider: string;
  voice: string;
}

export class VoiceBank {
  readonly #providers: ReadonlyMap<string, TextToSpeech>;
  readonly #cache = new Map<string, Int16Array>();

  /** `providers`: TTS engines by the name definitions use (`flite`, `espeak`). */
  constructor(providers: ReadonlyMap<string, TextToSpeech>) {
    this.#providers = providers;
  }

  /** How a reply is cut into the sentences it is played (and marked) in. */
  static sentences(text: string): string[] {
    return splitSentences(text);
  }

  /** Synthesizes every sentence of `texts` at `sampleRate` into the cache. */
  async warm(texts: readonly { text: string; voice: VoiceSpec }[], sampleRate: number): Promise<void> {
    await Promise.all(
      texts.flatMap(({ text, voice }) =>
        VoiceBank.sentences(text).map(async (sentence) => {
          const key = cacheKey(sentence, voice, sampleRate);
          if (this.#cache.has(key)) return;
          const audio = await this.#tts(voice).synthesize(sentence, { voice: voice.voice, sampleRate });
          this.#cache.set(key, audio.samples);
        }),
      ),
    );
  }

  /** Cached audio (returned at once, shared: do not modify) or a synthesis in flight. */
  audio(sentence: string, voice: VoiceSpec, sampleRate: number, signal?: AbortSignal): Int16Array | Promise<Int16Array> {
    const cached = this.#cache.get(cacheKey(sentence, voice, sampleRate));
    if (cached) return cached;
    return this.#tts(voice)
      .synthesize(sentence, { voice: voice.voice, sampleRate, signal })
      .then((a) => a.samples);
  }

  isCached(sentence: string, voice: VoiceSpec, sampleRate: number): boolean {
    return this.#cache.has(cacheKey(sentence, voice, sampleRate));
  }

  #tts(voice: VoiceSpec): TextToSpeech {
    const tts = this.#providers.get(voice.provider);
    if (!tts) throw new Error(`no speech synthesizer "${voice.provider}"`);
    return tts;
  }
}

function cacheKey(sentence: string, voice: VoiceSpec, sampleRate: number): string {
  return `${voice.provider}:${voice.voice}:${sampleRate}:${sentence}`;
}
