import type { ToolSpec } from '../../providers/types.js';
import type { CallControl } from '../../conversation/call-contract.js';

export interface ToolContext {
  call: CallControl;
  callId: string;
  /** Aborted when the caller barges in or the call ends. */
  signal: AbortSignal;
}

/** A tool an agent's brain can call: HTTP webhooks from the definition, or built-ins (end_call, transfer). */
export interface AgentTool {
  spec: ToolSpec;
  /** The result goes back to the model as JSON; throw to report a failure to it. */
  run(args: unknown, ctx: ToolContext): Promise<unknown>;
  /** Say a filler phrase ("One moment, let me check.") when the tool has not answered after this long. */
  fillerAfterMs?: number;
  filler?: string;
}
