// What the conversation engine asks of a brain: the offline intent engine today, LLM brains later.
import type { GrammarSpec, RejectionReason } from '../providers/types.js';
import type { VoiceSpec } from './voice-bank.js';
import type { CallControl } from './call-contract.js';

/** What happens once a reply has been heard. */
export type ReplyAction = { type: 'hangup'; reason: string } | { type: 'transfer'; reason: string };

export interface BrainReply {
  text: string;
  /** Speak in another voice than the agent's (e.g. a Hindi greeting). */
  voice?: VoiceSpec;
  action?: ReplyAction;
  /** What the reply answers (intent name, `fallback`, ...), for the timeline. */
  label: string;
  /** The caller chose this language (BCP-47): the call goes on with the agent that speaks it. */
  switchLanguage?: string;
}

export type BrainInput =
  | { type: 'speech'; text: string; confidence: number }
  /** The caller spoke, but the recogniser could not tell what (or STT failed: `error`). */
  | { type: 'unrecognised'; reason: RejectionReason | 'error' }
  | { type: 'dtmf'; digit: string }
  /** Keypad entry stopped without a terminator (after `collect.timeoutMs`). */
  | { type: 'dtmfTimeout' }
  /** The caller has been silent; `count` prompts so far including this one. */
  | { type: 'idle'; count: number };

/** One piece of a streamed reply, in the order it is to be said. */
export type ReplyPart =
  /** Generated text, in pieces of any size; the conversation cuts it into sentences. */
  | { type: 'text'; text: string }
  /** A whole line to say on its own (a slow tool's filler, a goodbye). */
  | { type: 'line'; text: string }
  /** What to do once everything said so far has been heard; nothing follows it. */
  | { type: 'action'; action: ReplyAction };

/** A reply generated while it is spoken (an LLM's). Iterating throws a `ProviderFailure` when its provider gave up. */
export interface StreamedReply {
  parts: AsyncIterable<ReplyPart>;
  label: string;
}

export type BrainOutput =
  | { kind: 'reply'; reply: BrainReply }
  /** Speak the parts as they arrive; aborting the `respond` signal stops them. */
  | { kind: 'stream'; reply: StreamedReply }
  /** Keys are being collected: say nothing; send `dtmfTimeout` if no key comes within `timeoutMs`. */
  | { kind: 'collect'; timeoutMs: number };

/** One line of the conversation as the caller heard it (an interrupted agent turn holds only what was heard). */
export interface ConversationEntry {
  role: 'caller' | 'agent';
  text: string;
  /** An agent line the caller cut short: `text` is what they heard of it. */
  interrupted?: boolean;
}

/** What a brain session may use of the call it serves (LLM brains: tools, timeline, failures). */
export interface BrainContext {
  call: CallControl;
}

export interface BrainSession {
  greeting(): BrainReply;
  respond(input: BrainInput, history: readonly ConversationEntry[], signal: AbortSignal): BrainOutput | Promise<BrainOutput>;
  /** Key of the grammar (from `Brain.grammars`) the next caller turn is recognised with. */
  grammarKey(): string;
  /**
   * Whether recognised words are a whole request: false when they stop partway (fewer digits than the number the
   * agent takes), so turn-taking waits longer for the rest; undefined when the brain cannot tell.
   */
  isComplete?(text: string): boolean | undefined;
}

export interface Brain {
  /** Grammars for grammar-constrained recognisers, by key; compiled once per agent. */
  readonly grammars: ReadonlyMap<string, GrammarSpec>;
  /** Replies that never change, to synthesize once at start-up. */
  fixedReplies(): BrainReply[];
  startSession(context?: BrainContext): BrainSession;
}
