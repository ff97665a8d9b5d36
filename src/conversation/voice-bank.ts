// Sentence audio for replies: synthesized on demand, except fixed texts (greeting, prompts,
// static answers), which are synthesized once per voice and sample rate and then served from
// memory, so a greeting can start playing the moment a call starts. Every sentence reaches the engine
// speakable in its voice's language (numbers, rupees, phone and order numbers, dates in words): the
// text stays as written for the transcript and the cache, the engine never sees a digit.
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
   * Synthesizes every sentence of `texts` at `sampleRate` into the cache, a few at a time: the
   * engines' queues are bounded and shared with live calls.
   */
  async warm(texts: readonly { text: string; voice: VoiceSpec }[], sampleRate: number, concurrency = 2): Promise<void> {
    const other = this.#next;
    if (other) {
      const theirs = texts.filter((t) => !this.#providers.has(t.voice.provider));
      if (theirs.length > 0) {
        await Promise.all([other.warm(theirs, sampleRate, concurrency), this.warm(texts.filter((t) => this.#providers.has(t.voice.provider)), sampleRate, concurrency)]);
        return;
      }
    }
    const todo = texts.flatMap(({ text, voice }) => VoiceBank.sentences(text).map((sentence) => ({ sentence, voice })));
    const next = async (): Promise<void> => {
      for (let item = todo.shift(); item; item = todo.shift()) {
        const key = cacheKey(item.sentence, item.voice, sampleRate);
        if (this.#cache.has(key)) continue;
        const audio = await this.#tts(item.voice).synthesize(speakable(item.sentence, item.voice), { voice: item.voice.voice, sampleRate });
        this.#cache.set(key, audio.samples);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, next));
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

  #tts(voice: VoiceSpec): TextToSpeech {
    const tts = this.#providers.get(voice.provider);
    if (!tts) throw new Error(`no speech synthesizer "${voice.provider}"`);
    return tts;
  }
}

function cacheKey(sentence: string, voice: VoiceSpec, sampleRate: number): string {
  return `${voice.provider}:${voice.voice}:${numberLanguage(voice.language)}:${sampleRate}:${sentence}`;
}

/** The voice a reply is said in: its own (in the agent's language unless it names one), else the agent's. */
export function replyVoice(own: VoiceSpec | undefined, agent: VoiceSpec): VoiceSpec {
  return own ? { language: agent.language, ...own } : agent;
}

/** What the engine is given to say: `sentence` with its numbers in words of the voice's language. */
export function speakable(sentence: string, voice: VoiceSpec): string {
  return speakableText(sentence, numberLanguage(voice.language));
}
