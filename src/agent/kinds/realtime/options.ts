// What a Realtime agent is configured with, and what it reports: the options, the tools the model may call, a
// session failure as `onFailure` sees it, and the session setup the options come to.
import { chooseRealtimeFormat } from '../../../providers/realtime/realtime-audio.js';
import type { RealtimeProtocol, RealtimeSessionConfig } from '../../../providers/realtime/realtime-session.js';
import type { ToolSpec } from '../../../providers/types.js';
import type { CallControl } from '../../../conversation/call-contract.js';
import type { AgentTool } from '../../tools/types.js';

/**
 * A function the model may call: an agent tool, less the filler (the model says its own). Its result goes back to
 * the model; its signal aborts when the call ends or the tool times out (a barge-in does not stop it).
 */
export type RealtimeTool = Pick<AgentTool, 'spec' | 'run'>;

export type RealtimeFailureKind = 'unauthorized' | 'rate-limited' | 'timeout' | 'connection-lost' | 'server' | 'bad-response' | 'session-expired';

export interface RealtimeFailure {
  kind: RealtimeFailureKind;
  error: Error;
  /** `connect`: no session at the start of the call; `mid-call`: an open session went away. */
  phase: 'connect' | 'mid-call';
  /** The model was answering when it happened. */
  duringReply: boolean;
  /** True while the bridge tries a new session (the caller may hear silence: a short holding line fits here). */
  recovering: boolean;
}

export interface RealtimeAgentOptions {
  /** Agent name in the catalog. Default `realtime`. */
  name?: string;
  apiKey: string;
  /** `OPENAI_BASE_URL` style REST base; default https://api.openai.com/v1. */
  baseUrl?: string;
  /** Default `gpt-realtime`. */
  model?: string;
  /** Default `ga`. */
  protocol?: RealtimeProtocol;
  instructions: string;
  voice?: string;
  /** Instructions for an opening response (the bot speaks first); without it the bot waits for the caller. */
  greeting?: string;
  /** `server`: the provider's VAD ends turns and answers by itself; `local`: our VAD, we commit and ask. Default `server`. */
  turnDetection?: 'server' | 'local';
  serverVad?: { threshold?: number; prefixPaddingMs?: number; silenceDurationMs?: number };
  /** Local VAD: silence that ends the caller's turn. Default 500 ms. */
  localHangoverMs?: number;
  /** Caller transcription model; null turns it off. Default `gpt-4o-mini-transcribe` (GA) / `whisper-1` (beta). */
  transcriptionModel?: string | null;
  language?: string;
  tools?: readonly RealtimeTool[];
  /** Built-in `end_call` (default on) and `transfer` (default on) tools. */
  builtins?: { endCall?: boolean; transfer?: boolean };
  toolTimeoutMs?: number;
  /** The provider's session limit. Default 60 minutes. */
  maxSessionMs?: number;
  /** Start preparing the next session this long before the limit. Default 5 minutes (at most half the limit). */
  rotateLeadMs?: number;
  /** Turns replayed into a new session. Default 40. */
  replayTurns?: number;
  connectTimeoutMs?: number;
  /** Reconnect (with the conversation replayed) when a session drops mid-call. Default true. */
  reconnect?: boolean;
  /**
   * A refused or lost session. The bridge records it either way. When `recovering` is false the call cannot go on
   * with this agent: play a cached apology, hand over (`call.hangup('transfer', ...)`) or hang up. Without this
   * callback the bridge hands the call to the flow's next applet (`hangup('transfer')`).
   */
  onFailure?: (failure: RealtimeFailure, call: CallControl) => void;
}

/** What each session of the call is set up with. */
export function sessionConfig(o: RealtimeAgentOptions, protocol: RealtimeProtocol, callRate: number, tools: ToolSpec[]): RealtimeSessionConfig {
  const transcriptionModel = o.transcriptionModel === undefined ? (protocol === 'ga' ? 'gpt-4o-mini-transcribe' : 'whisper-1') : o.transcriptionModel;
  return {
    instructions: o.instructions,
    voice: o.voice,
    audioFormat: chooseRealtimeFormat(callRate),
    turnDetection: o.turnDetection === 'local' ? null : { type: 'server_vad', ...o.serverVad, createResponse: true, interruptResponse: false },
    transcription: transcriptionModel ? { model: transcriptionModel, ...(o.language ? { language: o.language } : {}) } : null,
    tools,
  };
}
