// What the conversation engine asks of a brain: the offline intent engine today, LLM brains later.
import type { GrammarSpec, RejectionReason } from '../../providers/types.js';
import type { TtsSpec } from '../definition.js';

/** What happens once a reply has been heard. */
export type ReplyAction = { type: 'hangup'; reason: string } | { type: 'transfer'; reason: string };

export interface BrainReply {
  text: string;
  /** Speak in another voice than the agent's (e.g. a Hindi greeting). */
  voice?: TtsSpec;
  action?: ReplyAction;
  /** What the reply answers (intent name, `fallback`, ...), for the timeline. */
  label: string;
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

export type BrainOutput =
  | { kind: 'reply'; reply: BrainReply }
  /** Keys are being collected: say nothing; send `dtmfTimeout` if no key comes within `timeoutMs`. */
  | { kind: 'collect'; timeoutMs: number };

/** One line of the conversation as the caller heard it (an interrupted agent turn holds only what was heard). */
export interface ConversationEntry {
  role: 'caller' | 'agent';
  text: string;
}

export interface BrainSession {
  greeting(): BrainReply;
  respond(input: BrainInput, history: readonly ConversationEntry[], signal: AbortSignal): BrainOutput | Promise<BrainOutput>;
  /** Key of the grammar (from `Brain.grammars`) the next caller turn is recognised with. */
  grammarKey(): string;
}

export interface Brain {
  /** Grammars for grammar-constrained recognisers, by key; compiled once per agent. */
  readonly grammars: ReadonlyMap<string, GrammarSpec>;
  /** Replies that never change, to synthesize once at start-up. */
  fixedReplies(): BrainReply[];
  startSession(): BrainSession;
}
