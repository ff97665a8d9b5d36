import type { Logger } from 'pino';

export type MarkOutcome = 'played' | 'timeout' | 'cleared' | 'closed';

export interface MarkResult {
  name: string;
  outcome: MarkOutcome;
  /** Playout position (ms of audio the caller has heard or will hear, since the call began) at the mark. */
  positionMs: number;
}

/** Why a call ended; recorded with the call and reported in metrics. */
export type EndReason =
  | 'caller-hangup' // Exotel `stop` with reason callended
  | 'stream-stopped' // Exotel `stop` with another reason (applet ended)
  | 'bot-hangup' // the agent ended the call
  | 'transfer' // the agent handed the caller to the flow's next applet
  | 'socket-closed' // the socket closed without `stop`
  | 'socket-error'
  | 'timeout' // no `start`/media in time, or the stream went silent
  | 'max-duration'
  | 'replaced' // Exotel reconnected the same call
  | 'flood'
  | 'shutdown'
  | 'agent-error'
  | 'protocol-error'; // Exotel sent what the call cannot go on with (an invalid stream_sid)

export interface CallInfo {
  /** Exotel's CallSid (or a generated id when Exotel gave none). */
  callId: string;
  streamSid?: string;
  accountSid?: string;
  from?: string;
  to?: string;
  direction?: string;
  customField?: string;
  customParameters: Record<string, string>;
  agentName: string;
  sampleRate: number;
}

/** What an agent can do to the call it talks on. All audio is PCM16 mono at `info.sampleRate`. */
export interface CallControl {
  readonly info: CallInfo;
  readonly log: Logger;
  /** Aborted when the call ends, whatever ends it. */
  readonly signal: AbortSignal;
  /** Queues audio for the caller; the media pacer frames and paces it. */
  play(pcm: Int16Array | Buffer): void;
  /** Ends an utterance (pads its last frame) without a mark. */
  flush(): void;
  /** Ends the utterance and resolves when Exotel reports the audio before the mark played (or it timed out/was cleared). */
  mark(name: string): Promise<MarkResult>;
  /** Drops all queued audio here and at Exotel (barge-in). */
  clear(): void;
  /** Ms of bot audio the caller has heard since the call began (exact at mark echoes, estimated between). */
  playedMs(): number;
  /** Ends the call by closing the WebSocket, so Exotel's flow moves on to its next applet. */
  hangup(reason: Extract<EndReason, 'bot-hangup' | 'transfer' | 'max-duration'>, detail?: string): void;
  /** Adds an event to the call's timeline. */
  record(type: string, data?: Record<string, unknown>): void;
  /** Adds a transcript turn to the call record; returns its sequence number for `updateTurn`. */
  addTurn(turn: TranscriptTurnInput): number;
  /** Amends a turn, e.g. an agent turn cut short by the caller: `interrupted` with the text actually heard. */
  updateTurn(seq: number, patch: Partial<Omit<TranscriptTurnInput, 'role' | 'startedAt'>>): void;
  /**
   * Reports one latency stage of a turn (ms since the end of the caller's speech), e.g. `final-transcript`,
   * `first-llm-token`, `first-tts-byte`, `first-frame`, `first-mark`; kept in a Prometheus histogram.
   */
  observeLatency(stage: string, ms: number): void;
  /** Counts a cloud provider failure (`exovoice_provider_failures_total{provider,code}`). */
  countProviderFailure(provider: string, code: string): void;
}

export interface TranscriptTurnInput {
  role: 'caller' | 'agent';
  text: string;
  /** Epoch ms. */
  startedAt: number;
  endedAt?: number;
  interrupted?: boolean;
  heardText?: string;
}

/** Why an agent leaves a call: the call ended, or an operator switched the call to another agent. */
export type AgentEndReason = EndReason | 'agent-switch';

/** How an operator's line fits in: at once, cutting off what the agent is saying, or after it. */
export type SayMode = 'interrupt' | 'queue';

/** One agent's presence on one call. The session calls these; none of them may throw into the media path. */
export interface AgentSession {
  /** Caller audio. `pcm` is only valid during the call: copy what you keep. */
  onAudio(pcm: Int16Array, timestampMs: number | undefined): void;
  onDtmf?(digit: string, durationMs: number | undefined): void;
  /**
   * An operator's line (`POST /calls/:id/say`), said in the agent's current voice as an agent turn. Returns
   * undefined when taken, else why not (e.g. the call is closing). Agents without a voice of their own leave it out.
   */
  say?(text: string, mode: SayMode): string | undefined;
  /** The agent leaves the call (once): it ended, or the agent was switched. Release everything. */
  onEnd?(reason: AgentEndReason): void | Promise<void>;
}

/** How a caller's language choice reaches whoever can switch the call to another agent. */
export interface LanguageChoice {
  /** BCP-47 tag the caller chose (a key of the definition's `languages`). */
  language: string;
  /** A language-menu key, or the recogniser's detection in the caller's turn. */
  via: 'keypad' | 'detected';
  /** The caller turn in that language, for the next agent to answer (detection). */
  turn?: string;
}

/** What an agent is started with besides the call (a language switch passes these on). */
export interface SessionOptions {
  /** Switches the call to the agent of another language; false when there is none. */
  switchLanguage?(choice: LanguageChoice): boolean;
  /** Answer this caller turn instead of greeting (the caller spoke it to the agent before). */
  firstTurn?: string;
}

export interface Agent {
  readonly name: string;
  /** Called when the stream starts (on `start`, or on the first `media` when Exotel skipped `start`). */
  start(call: CallControl, options?: SessionOptions): AgentSession | Promise<AgentSession>;
}
