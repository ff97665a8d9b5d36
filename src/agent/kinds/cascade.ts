// The cloud cascade: streaming STT -> LLM (with tools) -> streaming TTS, on the conversation engine.
//
//   caller audio -> VAD + TurnTaker, and the STT stream (transcripts also drive endpointing)
//   end of turn  -> the turn's final transcript -> LLM brain (history as heard, tools) -> text deltas
//                -> sentence chunker -> streaming TTS per sentence -> call.play + a mark per sentence
//
// When a provider fails for good the caller hears a cached apology in an offline voice (flite), then
// the offline intent brain carries on (with PocketSphinx) or the caller is handed over.
import type { VadMode } from '../../audio/vad.js';
import type { Scheduler } from '../../clock/scheduler.js';
import { Conversation, type ConversationSettings } from '../../conversation/conversation.js';
import type { TurnTakingConfig } from '../../conversation/turn-taking.js';
import { VoiceBank, type VoiceSpec } from '../../conversation/voice-bank.js';
import type { CompiledGrammar, LanguageModel, SpeechToText, StreamingSpeechToText, TextToSpeech } from '../../providers/types.js';
import { LlmBrain } from '../brain/llm-brain.js';
import type { Brain } from '../../conversation/brain.js';
import { ConversationAgent, type Prepared, type PreparedAgent } from './preparation.js';
import type { AgentTool } from '../tools/types.js';
import type { AgentSession, CallControl, SessionOptions } from '../../conversation/call-contract.js';

/** What the call falls back on when a cloud provider fails for good. Everything here works without a network. */
export interface CascadeFallbackOptions {
  /** Sentence audio for the apology and hand-over lines (cached at prepare) and the offline brain's replies. */
  voices: VoiceBank;
  /** A voice of `voices` that needs no network, e.g. `{ provider: 'flite', voice: 'slt' }`. */
  voice: VoiceSpec;
  /** The offline brain the call continues with (`onFailure: 'fallback'`); without it a failure hands over. */
  brain?: Brain;
  /** Recogniser for `brain`'s grammars (PocketSphinx); needed with `brain`. */
  stt?: SpeechToText;
}

export interface CascadeTimeouts {
  /** After our end of turn, how long to wait for the final transcript (default 600 ms). */
  finalTranscriptMs?: number;
  /** No first LLM token (text or tool call) within this: a `timeout` failure (default 5000 ms). */
  llmFirstTokenMs?: number;
  /** No first audio byte of a sentence within this: a `timeout` failure (default 3000 ms). */
  ttsFirstByteMs?: number;
  /** A tool that has not answered within this fails (the model is told) (default 10 000 ms). */
  toolMs?: number;
  /** Default for tools without their own `fillerAfterMs` (default 1200 ms). */
  fillerAfterMs?: number;
}

export interface CascadeAgentOptions {
  name: string;
  systemPrompt: string;
  /** Said when the call starts (synthesized with `tts` at prepare time, when it answers). */
  greeting: string;
  stt: StreamingSpeechToText;
  llm: LanguageModel;
  tts: TextToSpeech;
  /** A `tts` voice id. */
  voice: string;
  /** BCP-47, for STT and TTS (e.g. `en-IN`). */
  language?: string;
  /** Words the STT should favour (product names, ...). */
  keywords?: readonly string[];
  /** Tools the model may call, besides the built-ins. */
  tools?: readonly AgentTool[];
  /** Built-in `end_call` and `transfer` tools (both on by default). */
  builtins?: { endCall?: boolean; transfer?: boolean };
  /** Lines said by the agent itself rather than the model. */
  prompts?: {
    /** After a provider failed for good (default "Sorry, I'm having some trouble on my side."). */
    apology?: string;
    /** Before handing the caller over after a failure (default "Let me connect you to a colleague."). */
    handover?: string;
    /** `end_call` without a goodbye from the model (default "Thank you for calling. Goodbye."). */
    goodbye?: string;
    /** `transfer` without a line from the model (default "Let me connect you to a colleague."). */
    transfer?: string;
    /** The recogniser heard nothing it could transcribe (default "Sorry, I didn't catch that. ..."). */
    notUnderstood?: string;
    /** Said while a slow tool without its own filler runs (default "One moment, please."). */
    filler?: string;
    /** Said in turn when the caller is silent (the last one repeats); timing from `turnTaking.idleMs`. */
    idle?: readonly string[];
    /** Said before hanging up a silent call. */
    idleGoodbye?: string;
    /** Said when the call reaches `turnTaking.maxCallMs`. */
    maxDurationWrapUp?: string;
  };
  fallback?: CascadeFallbackOptions;
  /** When a provider fails for good (after one retry where safe): continue offline with `fallback.brain`, or hand over. */
  onFailure: 'fallback' | 'transfer';
  turnTaking?: Partial<TurnTakingConfig>;
  vad?: { mode?: VadMode; energyFloorDbfs?: number };
  timeouts?: CascadeTimeouts;
  temperature?: number;
  maxTokens?: number;
  /** Conversation lines sent to the model (oldest dropped first; default 40). */
  maxHistory?: number;
  /** Keys that switch the call's language when pressed first (key -> BCP-47). */
  languageMenu?: Readonly<Record<string, string>>;
  /** Languages whose detection in a caller turn switches the call (needs a recogniser that detects). */
  detectLanguage?: readonly string[];
  scheduler?: Scheduler;
}

const DEFAULTS = {
  apology: "Sorry, I'm having some trouble on my side.",
  handover: 'Let me connect you to a colleague.',
  goodbye: 'Thank you for calling. Goodbye.',
  transfer: 'Let me connect you to a colleague.',
  notUnderstood: "Sorry, I didn't catch that. Could you say it again?",
  filler: 'One moment, please.',
  idle: ['Are you still there?'],
  finalTranscriptMs: 600,
  llmFirstTokenMs: 5000,
  ttsFirstByteMs: 3000,
  toolMs: 10_000,
  fillerAfterMs: 1200,
  maxHistory: 40,
};

/** An agent that answers with the cloud cascade; `prepare` caches the greeting and the offline apology/hand-over lines. */
export function createCascadeAgent(options: CascadeAgentOptions): PreparedAgent {
  return new CascadeAgent(options);
}

class CascadeAgent extends ConversationAgent {
  readonly name: string;
  readonly brain: LlmBrain;
  readonly #o: CascadeAgentOptions;
  readonly #voices: VoiceBank;
  readonly #voice: VoiceSpec;
  readonly #settings: ConversationSettings;
  readonly #apology: string;
  readonly #handover: string;

  constructor(options: CascadeAgentOptions) {
    super();
    this.#o = options;
    this.name = options.name;
    const p = options.prompts ?? {};
    const t = options.timeouts ?? {};
    if (options.onFailure === 'fallback' && options.fallback?.brain && !options.fallback.stt) {
      throw new Error(`cascade agent ${options.name}: fallback.brain needs fallback.stt to recognise its grammars`);
    }
    this.brain = new LlmBrain({
      llm: options.llm,
      systemPrompt: options.systemPrompt,
      greeting: options.greeting,
      tools: options.tools,
      builtins: options.builtins,
      prompts: {
        goodbye: p.goodbye ?? DEFAULTS.goodbye,
        transfer: p.transfer ?? DEFAULTS.transfer,
        notUnderstood: p.notUnderstood ?? DEFAULTS.notUnderstood,
        filler: p.filler ?? DEFAULTS.filler,
        idle: p.idle ?? DEFAULTS.idle,
      },
      firstTokenTimeoutMs: t.llmFirstTokenMs ?? DEFAULTS.llmFirstTokenMs,
      toolTimeoutMs: t.toolMs ?? DEFAULTS.toolMs,
      fillerAfterMs: t.fillerAfterMs ?? DEFAULTS.fillerAfterMs,
      temperature: options.temperature,
      maxTokens: options.maxTokens,
      maxHistory: options.maxHistory ?? DEFAULTS.maxHistory,
      languageMenu: options.languageMenu,
    });
    this.#voice = { provider: options.tts.name, voice: options.voice, language: options.language };
    // The cloud voice's own bank; anything else (the offline voice) is served by the shared one.
    this.#voices = new VoiceBank(new Map([[options.tts.name, options.tts]]), options.fallback?.voices);
    this.#apology = p.apology ?? DEFAULTS.apology;
    this.#handover = p.handover ?? DEFAULTS.handover;
    this.#settings = {
      turnTaking: {
        ...options.turnTaking,
        idleWrapUp: options.turnTaking?.idleWrapUp ?? p.idleGoodbye !== undefined,
        maxDurationWrapUp: options.turnTaking?.maxDurationWrapUp ?? p.maxDurationWrapUp !== undefined,
      },
      vad: { ...options.vad },
      voice: this.#voice,
      idleGoodbye: p.idleGoodbye,
      maxDurationWrapUp: p.maxDurationWrapUp,
      apology: this.#apology,
      streaming: { firstByteTimeoutMs: t.ttsFirstByteMs ?? DEFAULTS.ttsFirstByteMs },
      language: options.language,
      detectLanguage: options.detectLanguage,
    };
  }

  protected open(call: CallControl, ready: Prepared, options: SessionOptions): AgentSession {
    const o = this.#o;
    const fb = o.fallback;
    const offline =
      o.onFailure === 'fallback' && fb?.brain && fb.stt ? { brain: fb.brain.startSession({ call }), stt: fb.stt, grammars: ready.grammars } : undefined;
    return new Conversation({
      call,
      brain: this.brain.startSession({ call }),
      voices: this.#voices,
      vadRuntime: ready.vad,
      settings: this.#settings,
      scheduler: o.scheduler,
      live: { stt: o.stt, language: o.language, keywords: o.keywords, finalTranscriptMs: o.timeouts?.finalTranscriptMs ?? DEFAULTS.finalTranscriptMs },
      failover: { policy: o.onFailure, voice: fb?.voice ?? this.#voice, apology: this.#apology, handover: this.#handover, offline },
      session: options,
    });
  }

  protected async compile(): Promise<ReadonlyMap<string, CompiledGrammar>> {
    const fb = this.#o.fallback;
    const out = new Map<string, CompiledGrammar>();
    if (!fb?.brain || !fb.stt) return out;
    for (const [key, spec] of fb.brain.grammars) out.set(key, await fb.stt.compileGrammar(spec));
    return out;
  }

  /**
   * Offline lines (apology, hand-over, the fallback brain's prompts) must be ready before calls: they
   * are what the caller hears when the cloud is down. The cloud voice's fixed lines (greeting, ...)
   * are cached when the provider answers; if it does not, they are synthesized per call.
   */
  protected async warm(rates: readonly number[]): Promise<void> {
    const fb = this.#o.fallback;
    const offline = fb
      ? [this.#apology, this.#handover, ...(fb.brain?.fixedReplies().map((r) => r.text) ?? [])].map((text) => ({ text, voice: fb.voice }))
      : [];
    const cloud = this.brain.fixedReplies().map((r) => ({ text: r.text, voice: this.#voice }));
    try {
      await Promise.all([
        this.#voices.warm(offline, rates),
        this.#voices.warm(cloud, rates).catch(() => {
          // Counted when calls hit it: the greeting is synthesized live and its failure handled there.
        }),
      ]);
    } catch (err) {
      throw new Error(`cascade agent ${this.name}: cannot synthesize the offline prompts: ${(err as Error).message}`);
    }
  }
}
