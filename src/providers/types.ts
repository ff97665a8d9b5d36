// Provider-neutral speech interfaces. Offline engines (flite, espeak-ng, PocketSphinx) implement
// them today; cloud engines plug in behind the same shapes later. All audio is PCM16 mono.

/** Rates Exotel streams at. Providers accept any positive integer rate, these are the ones that matter. */
export type CallSampleRate = 8000 | 16000 | 24000;

export interface VoiceInfo {
  /** Value to pass as `SynthesisOptions.voice`. */
  id: string;
  /** BCP-47-ish language tags the voice speaks, most specific first (e.g. `en-US`, `en`). */
  languages: readonly string[];
  gender?: 'female' | 'male';
  /** Rate the engine synthesizes at before resampling to the requested rate. */
  nativeSampleRate: number;
  description?: string;
}

export interface SynthesisOptions {
  /** A `VoiceInfo.id`; when absent the provider picks its default voice for `language`. */
  voice?: string;
  /** Used to pick a voice when `voice` is absent. */
  language?: string;
  /** Rate of the returned audio (the call's rate). */
  sampleRate: number;
  /** Aborting rejects with the signal's reason (an `AbortError` by default). */
  signal?: AbortSignal;
}

/** `SynthesisOptions` for audio wanted at several call rates at once. */
export interface MultiRateSynthesisOptions extends Omit<SynthesisOptions, 'sampleRate'> {
  sampleRates: readonly number[];
}

export interface SynthesizedAudio {
  samples: Int16Array;
  sampleRate: number;
}

export interface TextToSpeech {
  readonly name: string;
  /** Voices this provider can speak with. */
  voices(): readonly VoiceInfo[];
  /** The whole text as one buffer at `options.sampleRate`. */
  synthesize(text: string, options: SynthesisOptions): Promise<SynthesizedAudio>;
  /**
   * The same audio as chunks at `options.sampleRate`, yielded as soon as each is ready, so playback
   * can start before the whole reply is synthesized. Breaking out of the loop cancels pending work.
   */
  stream(text: string, options: SynthesisOptions): AsyncIterable<Int16Array>;
  /**
   * The whole text at each of `options.sampleRates` (in that order) from one synthesis, each rate converted from
   * the voice's native audio. Providers that can (the offline engines) offer it so prompts are cached at every call
   * rate for the price of one synthesis; a caller falls back on `synthesize` per rate without it.
   */
  synthesizeRates?(text: string, options: MultiRateSynthesisOptions): Promise<Int16Array[]>;
}

/** What to listen for: compiled once per agent with `SpeechToText.compileGrammar`, reused per utterance. */
export type GrammarSpec =
  /** Each phrase is one alternative; recognition returns the phrase exactly as given here. */
  | { phrases: readonly string[] }
  /**
   * A full JSGF grammar (public rule = top rule); recognition returns the recognized words. `fallback`: a second,
   * looser grammar (e.g. a word loop) decoded when the first is not confident, so words outside the phrases still
   * come out as words (engines without one ignore it).
   */
  | { jsgf: string; fallback?: string };

/** Opaque handle from `compileGrammar`; only valid with the provider that compiled it. */
export interface CompiledGrammar {
  readonly id: string;
  readonly provider: string;
  /** Phrases for a phrase grammar, empty for JSGF. */
  readonly phrases: readonly string[];
}

export interface RecognitionOptions {
  /** Required by grammar-only engines (PocketSphinx); cloud engines treat it as a hint. */
  grammar?: CompiledGrammar;
  signal?: AbortSignal;
}

/**
 * Why a recognition produced no usable text. The agent should reprompt rather than act:
 * - `silence`: too little energy to contain speech;
 * - `too-short`: shorter than any word;
 * - `no-match`: the audio fits no path through the grammar;
 * - `low-confidence`: a grammar path fits, but not clearly better than arbitrary speech sounds.
 */
export type RejectionReason = 'silence' | 'too-short' | 'no-match' | 'low-confidence';

export interface RecognitionAlternative {
  text: string;
  confidence: number;
}

export interface RecognitionResult {
  /** Recognized text ('' when rejected). For phrase grammars, the phrase as it was declared. */
  text: string;
  /** 0..1; comparable within one provider, not across providers. */
  confidence: number;
  /** Best guess even when rejected (useful for logs), absent when nothing decoded. */
  hypothesis?: string;
  alternatives?: RecognitionAlternative[];
  /** The hypothesis word by word, each with its own 0..1 confidence (where the engine gives one). */
  words?: RecognitionAlternative[];
  /** The text came from the grammar's looser fallback (its words are to be interpreted, not a phrase). */
  fallback?: boolean;
  rejected?: RejectionReason;
}

export interface UtteranceOptions {
  grammar?: CompiledGrammar;
  /** Utterances with the same affinity (e.g. one call's) go to the same engine instance while it lives. */
  affinity?: object;
}

/**
 * One utterance recognized as it is spoken: `write` each chunk as it arrives, `finish` when it ended (only the
 * final search remains), or `abort` to drop it and free its decoder. After `finish` or `abort`, writes are ignored.
 */
export interface UtteranceStream {
  /** PCM16 at the rate given to `openUtterance`; the buffer may be reused by the caller afterwards. */
  write(pcm: Int16Array): void;
  /** The utterance's result, as `recognize` would give for the same audio. */
  finish(): Promise<RecognitionResult>;
  abort(): void;
}

export interface SpeechToText {
  readonly name: string;
  /** Validates the grammar (every word must be known to the engine) and prepares it for reuse. */
  compileGrammar(spec: GrammarSpec): Promise<CompiledGrammar>;
  /** Recognizes one whole utterance (endpointed by the caller's VAD). */
  recognize(audio: Int16Array, sampleRate: number, options?: RecognitionOptions): Promise<RecognitionResult>;
  /** Streaming recognition, where the engine has it: decoding keeps pace with the caller, so `finish` is quick. */
  openUtterance?(sampleRate: number, options?: UtteranceOptions): UtteranceStream;
}

// ---------------------------------------------------------------------------------------------
// Streaming providers (cloud): speech-to-text as the caller talks, and language models.
// ---------------------------------------------------------------------------------------------

/** What a streaming recognizer reports. Times are ms of audio since the stream opened. */
export type SttEvent =
  /**
   * `final`: this stretch of text will not change again. `speechFinal`: the provider thinks the utterance ended.
   * `language`: the language the provider heard (BCP-47, e.g. `hi-IN`), where it reports one (Sarvam's detection).
   */
  | { type: 'transcript'; text: string; final: boolean; speechFinal?: boolean; confidence?: number; startMs?: number; endMs?: number; language?: string }
  | { type: 'speech-started'; atMs?: number }
  /** The provider's own end-of-utterance decision (after silence). */
  | { type: 'utterance-end'; atMs?: number }
  /** `fatal`: the stream is gone; open a new one (or fall back). */
  | { type: 'error'; error: Error; fatal: boolean };

export interface SttStreamOptions {
  /** Rate of the audio `write` gets (the call rate). */
  sampleRate: number;
  /** BCP-47 language, e.g. `en-IN`, `hi`. */
  language?: string;
  /** Words to favour (product names, ...), where the provider supports it. */
  keywords?: readonly string[];
  onEvent: (event: SttEvent) => void;
  signal?: AbortSignal;
}

export interface SttStream {
  /** Caller audio (PCM16 mono at the stream's rate), as it arrives. Never blocks; buffers while connecting. */
  write(audio: Int16Array): void;
  /** Ask for the pending transcript now (e.g. our own endpointing decided the turn ended). */
  finalize(): void;
  /** Ends the stream gracefully; resolves when the provider has closed. */
  close(): Promise<void>;
}

export interface StreamingSpeechToText {
  readonly name: string;
  /** One stream per call; rejects with a ProviderError (e.g. `unauthorized`) when it cannot be opened. */
  open(options: SttStreamOptions): Promise<SttStream>;
}

export interface ToolCall {
  /** The model's id for this call; tool results answer it. */
  id: string;
  name: string;
  /** JSON text, as the model produced it (validate before use). */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; content: string };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type ChatDelta =
  | { type: 'text'; text: string }
  /** A complete tool call (arguments fully streamed). */
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'done'; finishReason: string; usage?: { promptTokens?: number; completionTokens?: number } };

export interface ChatRequest {
  messages: readonly ChatMessage[];
  tools?: readonly ToolSpec[];
  temperature?: number;
  maxTokens?: number;
  /** Aborting stops the stream (and the HTTP request) at once. */
  signal?: AbortSignal;
}

/** A chat model that streams its answer; any OpenAI-compatible endpoint implements it. */
export interface LanguageModel {
  readonly name: string;
  /** Yields text as it is generated, tool calls once complete, then `done`. Rejects/throws ProviderError. */
  chat(request: ChatRequest): AsyncIterable<ChatDelta>;
}
