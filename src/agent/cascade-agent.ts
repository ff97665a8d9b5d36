// The cloud cascade: streaming STT -> LLM (with tools) -> streaming TTS, on the conversation engine.
import type { VadMode } from '../audio/vad.js';
import type { Scheduler } from '../call/scheduler.js';
import type { TurnTakingConfig } from '../conversation/turn-taking.js';
import type { VoiceBank, VoiceSpec } from '../conversation/voice-bank.js';
import type { LanguageModel, SpeechToText, StreamingSpeechToText, TextToSpeech } from '../providers/types.js';
import type { Brain } from './brain/types.js';
import type { PreparedAgent } from './conversational.js';
import type { AgentTool } from './tools/types.js';

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
  scheduler?: Scheduler;
}

/** An agent that answers with the cloud cascade; `prepare` caches the greeting and the offline apology/hand-over lines. */
export function createCascadeAgent(options: CascadeAgentOptions): PreparedAgent {
  throw new Error(`cascade agent ${options.name}: not implemented yet`);
}
