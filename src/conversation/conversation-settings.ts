// What a conversation is built from: the call, the brain, the recognisers and voices, and how it
// behaves (turn-taking, the lines it says on its own, what happens when a cloud provider fails).
import type { VadMode, VadRuntime } from '../audio/vad.js';
import type { Scheduler } from '../clock/scheduler.js';
import type { CompiledGrammar, SpeechToText, StreamingSpeechToText } from '../providers/types.js';
import type { BrainSession } from './brain.js';
import type { CallControl, SessionOptions } from './call-contract.js';
import type { TurnTakingConfig } from './turn-taking.js';
import type { VoiceBank, VoiceSpec } from './voice-bank.js';

export interface ConversationSettings {
  turnTaking: Partial<TurnTakingConfig>;
  vad: { mode?: VadMode; energyFloorDbfs?: number };
  /** The agent's voice (a reply may name another). */
  voice: VoiceSpec;
  /** Said before hanging up a silent call; without it the call just ends. */
  idleGoodbye?: string;
  /** Said when the call reaches its maximum length. */
  maxDurationWrapUp?: string;
  /** Said when a reply could not be produced. */
  apology: string;
  /** Stream each sentence's audio from the TTS engine as it is synthesized (cloud voices). */
  streaming?: { firstByteTimeoutMs: number };
  /** BCP-47 tag the agent speaks; with `detectLanguage`, a turn the recogniser heard in another of them switches. */
  language?: string;
  detectLanguage?: readonly string[];
}

/** Streaming recognition of everything the caller says (cloud STT), instead of recognising each turn at its end. */
export interface LiveSttSettings {
  stt: StreamingSpeechToText;
  language?: string;
  keywords?: readonly string[];
  /** How long the end of a turn waits for the provider to finalize text that is not final yet. */
  finalTranscriptMs: number;
}

/** What happens when a cloud provider fails for good. */
export interface Failover {
  /** `fallback`: the offline brain carries on (needs `offline`); `transfer`: hand the caller over. */
  policy: 'fallback' | 'transfer';
  /** A voice that needs no network; its lines are cached. */
  voice: VoiceSpec;
  apology: string;
  handover: string;
  offline?: { brain: BrainSession; stt: SpeechToText; grammars: ReadonlyMap<string, CompiledGrammar> };
}

export interface ConversationDeps {
  call: CallControl;
  brain: BrainSession;
  /** Recognises each caller turn at its end; required unless `live`. */
  stt?: SpeechToText;
  /** The brain's grammars, compiled by `stt`, by key. */
  grammars?: ReadonlyMap<string, CompiledGrammar>;
  live?: LiveSttSettings;
  failover?: Failover;
  voices: VoiceBank;
  vadRuntime: VadRuntime;
  settings: ConversationSettings;
  /** Clock and timers (default: real time). */
  scheduler?: Scheduler;
  /** How the call was started: a language switch to offer, a caller turn to answer first. */
  session?: SessionOptions;
}
