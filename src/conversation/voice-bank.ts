// Sentence audio for replies: synthesized on demand, except fixed texts (greeting, prompts,
// static answers), which are synthesized once per voice, kept at every call rate (converted from that one
// synthesis) and served from memory, so a greeting can start playing the moment a call starts, whatever its rate. Every sentence reaches the engine
// speakable in its voice's language (numbers, rupees, phone and order numbers, dates in words): the
// text stays as written for the transcript and the cache, the engine never sees a digit.
import { resample } from '../audio/resample-buffer.js';
import { numberLanguage, speakableText } from '../language/speakable-text.js';
import { splitSentences } from '../providers/text/sentences.js';
import type { TextToSpeech } from '../providers/types.js';

/** A voice as definitions name it: a provider and one of its voices. */
export interface VoiceSpec {
  provider: string;
  voice: string;
  /** BCP-47 tag of what the voice speaks: how numbers are said (lakh/crore in Indian English, Hindi words). */
  language?: string;
}

export class VoiceBank {
  readonly #providers: ReadonlyMap<string, TextToSpeech>;
  readonly #cache = new Map<string, Int16Array>();
  readonly #next: VoiceBank | undefined;

  /**
   * `providers`: TTS engines by the name definitions use (`flite`, `espeak`). `next` serves voices of
   * other providers (e.g. a cloud voice's bank falling back on the shared offline one, cache and all).
   */
  constructor(providers: ReadonlyMap<string, TextToSpeech>, next?: VoiceBank) {
    this.#providers = providers;
    this.#next = next;
  }

  /** How a reply is cut into the sentences it is played (and marked) in. */
  static sentences(text: string): string[] {
    return splitSentences(text);
  }

  /**
   * Caches every sentence of `texts` at each of `sampleRates`, a few sentences at a time (the engines' queues
   * are bounded and shared with live calls). A sentence is synthesized once and its copies at the other rates
   * are converted from that audio (off this thread, by engines that offer `synthesizeRates`).
   */
  async warm(texts: readonly { text: string; voice: VoiceSpec }[], sampleRates: readonly number[], concurrency = 2): Promise<void> {
    const other = this.#next;
    if (other) {
      const theirs = texts.filter((t) => !this.#providers.has(t.voice.provider));
      if (theirs.length > 0) {
        await Promise.all([other.warm(theirs, sampleRates, concurrency), this.warm(texts.filter((t) => this.#providers.has(t.voice.provider)), sampleRates, concurrency)]);
        return;
      }
    }
    const todo = texts.flatMap(({ text, voice }) => VoiceBank.sentences(text).map((sentence) => ({ sentence, voice })));
    const next = async (): Promise<void> => {
      for (let item = todo.shift(); item; item = todo.shift()) {
        const { sentence, voice } = item;
        const rates = [...new Set(sampleRates)].filter((rate) => !this.#cache.has(cacheKey(sentence, voice, rate)));
        if (rates.length === 0) continue;
        const audio = await this.#synthesizeRates(sentence, voice, rates);
        rates.forEach((rate, i) => this.#cache.set(cacheKey(sentence, voice, rate), audio[i]!));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, next));
  }

  /** Bytes of cached audio at `sampleRate` (every rate without it), for this bank and the one it falls back on. */
  cachedBytes(sampleRate?: number): number {
    let bytes = this.#next?.cachedBytes(sampleRate) ?? 0;
    for (const [key, audio] of this.#cache) if (sampleRate === undefined || cacheRate(key) === sampleRate) bytes += audio.byteLength;
    return bytes;
  }

  /** Cached audio (returned at once, shared: do not modify) or a synthesis in flight. */
  audio(sentence: string, voice: VoiceSpec, sampleRate: number, signal?: AbortSignal): Int16Array | Promise<Int16Array> {
    if (this.#next && !this.#providers.has(voice.provider)) return this.#next.audio(sentence, voice, sampleRate, signal);
    const cached = this.#cache.get(cacheKey(sentence, voice, sampleRate));
    if (cached) return cached;
    return this.#tts(voice)
      .synthesize(speakable(sentence, voice), { voice: voice.voice, sampleRate, signal })
      .then((a) => a.samples);
  }

  /** Cached audio (at once, shared), or the synthesis streamed in chunks as the engine produces them. */
  stream(sentence: string, voice: VoiceSpec, sampleRate: number, signal?: AbortSignal): Int16Array | AsyncIterable<Int16Array> {
    if (this.#next && !this.#providers.has(voice.provider)) return this.#next.stream(sentence, voice, sampleRate, signal);
    const cached = this.#cache.get(cacheKey(sentence, voice, sampleRate));
    if (cached) return cached;
    return this.#tts(voice).stream(speakable(sentence, voice), { voice: voice.voice, sampleRate, signal });
  }

  /** Whether `voice` belongs to this bank's own providers (not `next`'s). */
  owns(voice: VoiceSpec): boolean {
    return this.#providers.has(voice.provider);
  }

  /**
   * One synthesis for all `rates`: converted in the engine's worker where it offers that; otherwise (cloud
   * voices) one request at the highest rate, converted here, which is start-up work, before calls are taken.
   */
  async #synthesizeRates(sentence: string, voice: VoiceSpec, rates: readonly number[]): Promise<Int16Array[]> {
    const tts = this.#tts(voice);
    const text = speakable(sentence, voice);
    if (tts.synthesizeRates) return tts.synthesizeRates(text, { voice: voice.voice, sampleRates: rates });
    const top = Math.max(...rates);
    const { samples } = await tts.synthesize(text, { voice: voice.voice, sampleRate: top });
    return rates.map((rate) => (rate === top ? samples : resample(samples, top, rate)));
  }

  #tts(voice: VoiceSpec): TextToSpeech {
    const tts = this.#providers.get(voice.provider);
    if (!tts) throw new Error(`no speech synthesizer "${voice.provider}"`);
    return tts;
  }
}

function cacheKey(sentence: string, voice: VoiceSpec, sampleRate: number): string {
  return `${sampleRate}:${voice.provider}:${voice.voice}:${numberLanguage(voice.language)}:${sentence}`;
}

function cacheRate(key: string): number {
  return Number(key.slice(0, key.indexOf(':')));
}

/** The voice a reply is said in: its own (in the agent's language unless it names one), else the agent's. */
export function replyVoice(own: VoiceSpec | undefined, agent: VoiceSpec): VoiceSpec {
  return own ? { language: agent.language, ...own } : agent;
}

/** What the engine is given to say: `sentence` with its numbers in words of the voice's language. */
export function speakable(sentence: string, voice: VoiceSpec): string {
  return speakableText(sentence, numberLanguage(voice.language));
}
