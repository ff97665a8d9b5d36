import type { Logger } from 'pino';
import type { Agent, TranscriptTurnInput } from '../conversation/call-contract.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Scheduler } from '../clock/scheduler.js';
import type { CallDetails } from './call-details.js';
import type { SessionRegistry } from './session-registry.js';

/** The part of a WebSocket a session needs (ws's WebSocket satisfies it). */
export interface SessionSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Receives a call's timeline and transcript; the call-record store sits behind it. Must never throw or block. */
export interface CallJournal {
  /** The webhook announced the call (before its socket opens). */
  webhook?(details: CallDetails): Promise<void>;
  event(callId: string, type: string, data?: Record<string, unknown>): void;
  addTurn(callId: string, turn: TranscriptTurnInput): number;
  updateTurn(callId: string, seq: number, patch: Partial<Omit<TranscriptTurnInput, 'role' | 'startedAt'>>): void;
}

export interface SessionOptions {
  defaultSampleRate: number;
  leadMs: number;
  markTimeoutMs: number;
  /** Close a socket that has sent neither `start` nor media by then (Exotel's own handshake limit is 10 s). */
  startTimeoutMs: number;
  /** Close a stream that went silent (Exotel sends media continuously, silence included). */
  idleTimeoutMs: number;
  /** Messages per second a call may sustain before the excess is dropped; Exotel sends at most ~60. */
  floodRatePerSec: number;
  floodBurst: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  defaultSampleRate: 8000,
  leadMs: 100,
  markTimeoutMs: 3000,
  startTimeoutMs: 10_000,
  idleTimeoutMs: 20_000,
  floodRatePerSec: 400,
  floodBurst: 800,
};

export interface SessionDeps {
  registry: SessionRegistry;
  metrics: GatewayMetrics;
  log: Logger;
  scheduler: Scheduler;
  /** Picks the agent for a call from everything known about it. */
  selectAgent(hints: { requested?: string; customField?: string; to?: string; customParameters: Record<string, string> }): Agent;
  /** The catalog's agent of that name, for an operator's switch. */
  findAgent?(name: string): Agent | undefined;
  journal?: CallJournal;
  options: SessionOptions;
  /** Set when calls are recorded (RECORD_CALLS=on). */
  recordings?: CallRecordings;
}

/** Where and how calls are recorded (call-recorder.ts). */
export interface CallRecordings {
  /** <DATA_DIR>/recordings, already created. */
  dir: string;
  /** Counts a recording that failed and logs it (at most once a minute); the call goes on unrecorded. */
  onFailure(err: unknown, stage: string): void;
  /** The store record id of call `callId`, once its record exists; the file is named after it. */
  recordId(callId: string): Promise<string | undefined>;
  /** A recording was completed (for the metrics). */
  onSaved?(bytes: number): void;
  /** Recordings being completed; the server waits for them when it closes (a drain ends calls just before). */
  finishing?: Set<Promise<unknown>>;
}

export interface SessionInit {
  /** `call_id` from the WebSocket URL, already checked with `checkId('callId', …)`. */
  callId?: string;
  /** `sample-rate` from the WebSocket URL. */
  sampleRate?: number;
  /** `agent` from the WebSocket URL. */
  agent?: string;
  /** What the webhook learnt about this call, if it came first. */
  details?: CallDetails;
}
