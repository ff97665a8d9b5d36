// An agent built from a definition file: the conversation engine with the offline intent brain,
// offline speech engines, and the definition's turn-taking, prompts and limits.
import type { Scheduler } from '../../clock/scheduler.js';
import { Conversation, type ConversationSettings } from '../../conversation/conversation.js';
import type { TurnTakingConfig } from '../../conversation/turn-taking.js';
import { replyVoice, type VoiceBank } from '../../conversation/voice-bank.js';
import type { CompiledGrammar, SpeechToText } from '../../providers/types.js';
import { IntentBrain } from '../brain/intent-brain.js';
import type { SpeechProviders } from '../assembly/offline-providers.js';
import type { AgentDefinition, IdleSpec, LimitsSpec, TurnTakingSpec } from '../definition/schema.js';
import { AgentDefinitionError } from '../definition/loader.js';
import { ConversationAgent, type Prepared } from './preparation.js';
import type { AgentSession, CallControl, SessionOptions } from '../../conversation/call-contract.js';

/** A definition's turnTaking, idle and limits sections as the turn-taking engine's options (unset ones left out). */
export function turnTakingConfig(t: TurnTakingSpec, idle: IdleSpec | undefined, limits: LimitsSpec | undefined): Partial<TurnTakingConfig> {
  const b = t.bargeIn ?? {};
  const turnTaking: Partial<TurnTakingConfig> = {
    endpointSilenceMs: t.endpointSilenceMs,
    endpointSilenceAfterFinalMs: t.endpointSilenceAfterFinalMs,
    endpointSilenceIncompleteMs: t.endpointSilenceIncompleteMs,
    minSpeechMs: t.minSpeechMs,
    maxTurnMs: t.maxTurnMs,
    bargeInMinSpeechMs: b.minSpeechMs,
    bargeInMinLevelDbfs: b.minLevelDbfs,
    greetingProtectMs: b.greetingProtectMs,
    protectWholeGreeting: b.protectWholeGreeting,
    dtmfBargeIn: b.dtmf,
    falseInterruptionMaxSpeechMs: b.falseInterruptionMaxSpeechMs,
    falseInterruptionTranscriptWaitMs: b.falseInterruptionTranscriptWaitMs,
    // With barge-in off the caller is not heard while the agent speaks.
    halfDuplex: b.enabled === false ? true : undefined,
    idleMs: idle?.afterMs,
    maxIdlePrompts: idle?.maxPrompts,
    idleWrapUp: idle !== undefined,
    maxCallMs: limits?.maxCallMs,
    maxDurationWrapUp: limits !== undefined,
  };
  for (const key of Object.keys(turnTaking) as (keyof TurnTakingConfig)[]) if (turnTaking[key] === undefined) delete turnTaking[key];
  return turnTaking;
}

/** Turn-taking and VAD settings of a definition, as the conversation engine takes them. */
export function conversationSettings(def: AgentDefinition): ConversationSettings {
  return {
    turnTaking: turnTakingConfig(def.turnTaking, def.idle, def.limits),
    vad: { ...def.turnTaking.vad },
    voice: { ...def.voice, language: def.language },
    idleGoodbye: def.idle?.goodbye,
    maxDurationWrapUp: def.limits?.wrapUp,
    apology: def.prompts.apology,
  };
}

export interface OfflineAgentOptions {
  /** Names the definition's file in errors. */
  file: string;
  providers: SpeechProviders;
  scheduler?: Scheduler;
}

export class OfflineAgent extends ConversationAgent {
  readonly name: string;
  readonly definition: AgentDefinition;
  readonly brain: IntentBrain;
  readonly settings: ConversationSettings;
  readonly #file: string;
  readonly #stt: SpeechToText;
  readonly #voices: VoiceBank;
  readonly #scheduler: Scheduler | undefined;

  constructor(definition: AgentDefinition, options: OfflineAgentOptions) {
    super();
    this.definition = definition;
    this.name = definition.name;
    this.#file = options.file;
    this.brain = new IntentBrain(definition);
    this.settings = conversationSettings(definition);
    this.#stt = options.providers.stt(definition.stt);
    this.#voices = options.providers.voices;
    this.#scheduler = options.scheduler;
  }

  protected open(call: CallControl, ready: Prepared, options: SessionOptions): AgentSession {
    return new Conversation({
      call,
      brain: this.brain.startSession(),
      stt: this.#stt,
      grammars: ready.grammars,
      voices: this.#voices,
      vadRuntime: ready.vad,
      settings: this.settings,
      scheduler: this.#scheduler,
      session: options,
    });
  }

  protected async compile(): Promise<ReadonlyMap<string, CompiledGrammar>> {
    const out = new Map<string, CompiledGrammar>();
    for (const [key, spec] of this.brain.grammars) {
      try {
        out.set(key, await this.#stt.compileGrammar(spec));
      } catch (err) {
        throw new AgentDefinitionError(this.#file, [`intents: ${(err as Error).message}`]);
      }
    }
    return out;
  }

  protected async warm(rates: readonly number[]): Promise<void> {
    const texts = this.brain.fixedReplies().map((r) => ({ text: r.text, voice: replyVoice(r.voice, this.settings.voice) }));
    try {
      await this.#voices.warm(texts, rates);
    } catch (err) {
      throw new AgentDefinitionError(this.#file, [`voice: cannot synthesize the agent's prompts: ${(err as Error).message}`]);
    }
  }
}
