// The durable record of every phone call the gateway handles, and the store interface behind it.
// Types and interface only: the SQLite implementation is sqlite-call-store.ts, and any other
// implementation must pass test/store/call-store-conformance.ts.
// All timestamps are epoch milliseconds (UTC).

export type CallDirection = 'inbound' | 'outbound';

/** Our lifecycle. Ordered (see call-status.ts): a call's status never moves backwards and terminal states are final. */
export type CallStatus =
  | 'queued'
  | 'dialing'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'failed'
  | 'busy'
  | 'no-answer'
  | 'canceled';

export type EndReason =
  | 'caller-hangup'
  | 'bot-hangup'
  | 'transfer'
  | 'socket-closed'
  | 'error'
  | 'timeout'
  | 'max-duration'
  | 'canceled'
  /** The node that held the call stopped heartbeating; another node closed the record. */
  | 'node-lost';

/** Well-known timeline event types; any lower-case kebab/dot name is accepted. */
export type CallEventType =
  | 'webhook'
  | 'ws-open'
  | 'connected'
  | 'start'
  | 'dtmf'
  | 'mark'
  | 'clear'
  | 'stop'
  | 'close'
  | 'status'
  | 'status-callback'
  | 'dial'
  | 'error'
  | 'conflict'
  | (string & {});

export interface CallEvent {
  at: number;
  type: CallEventType;
  /** Small JSON object; capped in size (4 KB by default). */
  data: Record<string, unknown>;
  /** Present when `data` was cut down to fit the cap. */
  truncated?: true;
}

export type TurnRole = 'caller' | 'agent';

export interface TranscriptTurn {
  /** 0, 1, 2... per call, in the order turns were added. */
  seq: number;
  role: TurnRole;
  text: string;
  startedAt: number;
  endedAt: number | null;
  /** An agent turn cut short by the caller (barge-in). */
  interrupted: boolean;
  /** For an interrupted agent turn: the part the caller actually heard. */
  heardText?: string;
}

export interface CallDurations {
  /** createdAt → endedAt */
  totalMs: number | null;
  /** startedAt (media start) → endedAt */
  mediaMs: number | null;
  /** answeredAt → endedAt */
  conversationMs: number | null;
}

/** Every scalar field of a call: what list() returns, and what get() returns plus the timeline and transcript. */
export interface CallFields {
  /** Our id (ULID: sortable by creation time). */
  id: string;
  /** Exotel's CallSid. */
  callSid: string | null;
  streamSid: string | null;
  /** The client's id for an outbound call; unique when present. */
  callLogId: string | null;
  direction: CallDirection;
  from: string | null;
  to: string | null;
  agent: string | null;
  customField: string | null;
  status: CallStatus;
  createdAt: number;
  updatedAt: number;
  answeredAt: number | null;
  /** Media stream start. */
  startedAt: number | null;
  endedAt: number | null;
  endReason: EndReason | null;
  /** WebSocket close code, when the call ended with the socket. */
  closeCode: number | null;
  /** Derived from the timestamps whenever endedAt is known. */
  durations: CallDurations;
  recordingUrl: string | null;
  /** Exotel's own status string, as last reported (e.g. 'completed', 'no-answer'). */
  exotelStatus: string | null;
  /** Exotel's per-leg details, as last reported. */
  exotelLegs: Record<string, unknown>[] | null;
  /** Other Exotel status details (durations, price...), as last reported. */
  exotelDetails: Record<string, unknown> | null;
}

export interface CallRecord extends CallFields {
  /** Append-only timeline, in append order. */
  events: CallEvent[];
  transcript: TranscriptTurn[];
}

export interface CallSummary extends CallFields {
  eventCount: number;
  turnCount: number;
}

export interface NewCall {
  direction: CallDirection;
  from?: string;
  to?: string;
  agent?: string;
  customField?: string;
  callSid?: string;
  streamSid?: string;
  callLogId?: string;
  /** Default: 'queued' for outbound, 'ringing' for inbound. */
  status?: CallStatus;
  /** Default: the store's clock. */
  createdAt?: number;
}

/**
 * A partial update. Merge rules (call-merge.ts):
 * - status only moves forward (call-status.ts); reaching a terminal status sets endedAt if unset;
 * - callSid, streamSid, callLogId, answeredAt, startedAt, endedAt, endReason, closeCode are set once:
 *   a repeat of the same value is a no-op, a different value is ignored and logged as a 'conflict' event;
 * - everything else is last-write-wins.
 */
export interface CallUpdate {
  status?: CallStatus;
  callSid?: string;
  streamSid?: string;
  callLogId?: string;
  from?: string;
  to?: string;
  agent?: string;
  customField?: string;
  answeredAt?: number;
  startedAt?: number;
  endedAt?: number;
  endReason?: EndReason;
  closeCode?: number;
  recordingUrl?: string;
  exotelStatus?: string;
  exotelLegs?: Record<string, unknown>[];
  exotelDetails?: Record<string, unknown>;
}

export interface NewCallEvent {
  type: CallEventType;
  /** Default: the store's clock. */
  at?: number;
  data?: Record<string, unknown>;
}

export interface NewTurn {
  role: TurnRole;
  text: string;
  startedAt: number;
  endedAt?: number;
  interrupted?: boolean;
  heardText?: string;
}

export interface TurnUpdate {
  text?: string;
  endedAt?: number;
  interrupted?: boolean;
  heardText?: string;
}

export interface ListQuery {
  status?: CallStatus;
  direction?: CallDirection;
  /** Exact match on `from` or `to`. */
  number?: string;
  /** Exact match on the agent's name. */
  agent?: string;
  /** createdAt >= from */
  from?: Date;
  /** createdAt < to */
  to?: Date;
  /** 1..200, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface ListPage {
  /** Newest first (createdAt desc, then id desc). */
  items: CallSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Why the database refuses writes (store-health.ts classifies errors). */
export type StoreFaultKind = 'full' | 'locked' | 'closed' | 'io';
/** A fault, or 'refused': the database rejected one write (a constraint) and works otherwise. */
export type WriteFailureKind = StoreFaultKind | 'refused';

/**
 * 'degraded' while the database refuses writes: calls go on, their writes wait in memory (bounded) and are
 * retried with back-off; back to 'ok' when a retry lands them.
 */
export type StoreHealth =
  | { status: 'ok' }
  | {
      status: 'degraded';
      kind: StoreFaultKind;
      /** A fixed description of `kind` (never the database's own message: /ready is public). */
      reason: string;
      /** ISO time of the first failure of this episode. */
      since: string;
      /** Failed write attempts in this episode. */
      failures: number;
      pendingOps: number;
      droppedOps: number;
    };

export interface CallStoreStats {
  /** Writes accepted but not yet durable. */
  pendingOps: number;
  /** Estimated memory held by the pending writes. */
  pendingBytes: number;
  flushes: number;
  failedFlushes: number;
  flushedOps: number;
  flushedEvents: number;
  /** Writes given up on (a write that kept failing, or the pending queue overflowing while the database fails). */
  droppedOps: number;
  /** Of droppedOps: pending writes dropped because the queue outgrew its bound while the database failed. */
  overflowDroppedOps: number;
  /** Failed write attempts since the store opened, by kind. */
  writeFailures: Record<WriteFailureKind, number>;
  lastFlushMs: number;
  maxFlushMs: number;
}

export interface CallStore {
  /** Creates a record and returns its id; durable when the promise resolves. Throws CallLogIdConflictError if callLogId is taken. */
  create(input: NewCall): Promise<string>;

  /**
   * Idempotent outbound creation (POST /call): returns the existing record when `callLogId` was created
   * within the idempotency window (24 h by default), else creates one, atomically. A callLogId older than
   * the window throws CallLogIdConflictError (callLogId stays unique).
   */
  createOrGetByCallLogId(input: NewCall & { callLogId: string }): Promise<{ record: CallRecord; created: boolean }>;

  // Media-path writes: validated, queued in memory and return at once; a flusher makes them durable
  // within ~flushIntervalMs. They throw CallStoreValidationError on malformed input and CallNotFoundError
  // for an id the store does not have.

  appendEvent(id: string, event: NewCallEvent): void;
  /** Returns the turn's seq. */
  addTurn(id: string, turn: NewTurn): number;
  /** E.g. mark the last agent turn interrupted, with the text the caller heard. Throws for a seq never added. */
  updateTurn(id: string, seq: number, patch: TurnUpdate): void;
  update(id: string, patch: CallUpdate): void;
  attachCallSid(id: string, callSid: string, streamSid?: string): void;

  /** By our id, else Exotel's CallSid (newest record), else callLogId. Sees every write made before the call. */
  get(idOrCallSidOrCallLogId: string): Promise<CallRecord | null>;
  /** Sees every write made before the call. */
  list(query?: ListQuery): Promise<ListPage>;

  /**
   * Deletes the record `id` (our id only) with its timeline and transcript, after flushing the writes made
   * before the call; true when there was such a record. Writes to it afterwards fail as for an unknown id.
   */
  delete(id: string): Promise<boolean>;

  /** Resolves when every write made before the call is durable. */
  flush(): Promise<void>;
  /** Flushes, then closes; later calls throw. */
  close(): Promise<void>;
  stats(): CallStoreStats;
  health(): StoreHealth;
}
