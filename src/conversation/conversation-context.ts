// What the pieces of a conversation share: the call, the replies in flight, and the few moves that
// cross pieces (feeding turn-taking, replacing and stopping replies, speaking, failing over). The
// coordinator (conversation.ts) owns it and wires each move to the piece that makes it.
import type { Scheduler } from '../clock/scheduler.js';
import type { BrainInput, BrainReply, BrainSession, ConversationEntry, ReplyAction } from './brain.js';
import type { CallControl, SessionOptions } from './call-contract.js';
import type { ConversationSettings } from './conversation-settings.js';
import type { ProviderFailureReport } from './provider-failure.js';
import type { Reply, ReplyRecord } from './reply.js';
import type { TurnInput, TurnState } from './turn-taking.js';
import type { VoiceSpec } from './voice-bank.js';

export interface ConversationContext {
  readonly call: CallControl;
  readonly clock: Scheduler;
  readonly settings: ConversationSettings;
  /** What was said so far, as the brain sees it. */
  readonly history: ConversationEntry[];
  readonly record: ReplyRecord;
  brain: BrainSession;
  /** The agent's voice (the failover voice once offline). */
  voice: VoiceSpec;
  /** The reply being generated or played. */
  current: Reply | null;
  /** A reply cut by speech, waiting for the verdict: resume, or stay cut. */
  cut: Reply | null;
  ended: boolean;
  /** A provider failed for good: the call is offline (or being handed over) now. */
  failedOver: boolean;
  /** How the agent was started (the language switch it may use). */
  readonly session: SessionOptions;

  /** Where turn-taking is. */
  turnState(): TurnState;
  /** Turn-taking input; its actions are carried out before this returns. */
  feed(input: TurnInput): void;
  /** A new reply that replaces whatever reply is in flight. */
  newReply(originMs: number, greeting: boolean): Reply;
  /** Drops a reply: stops generating it and, if it is playing, clears it from the call. */
  stop(reply: Reply): void;
  /** Asks the brain, then speaks its answer; `onReply` runs once a reply (not a wait for more keys) came back. */
  respond(reply: Reply, input: BrainInput, onReply?: () => void): Promise<void>;
  /** Speaks a brain reply, carrying out its action once it has been heard. */
  deliver(reply: Reply, br: BrainReply): void;
  /** The reply ends the call: it is said in full, turn-taking stops listening. */
  closing(reply: Reply, action: ReplyAction): void;
  providerFailed(reply: Reply | null, report: ProviderFailureReport): void;
  /** Host time to epoch ms, for the transcript. */
  epoch(hostMs: number): number;
}
