// Row mapping between the stores' tables (sqlite-migrations.ts, postgres-migrations.ts: the same columns) and the
// record types (call-store.ts).
import type { CallFields, NewCall, TranscriptTurn } from './call-store.js';
import { newCallId } from './call-id.js';
import { deriveDurations } from './call-merge.js';

export interface CallRow {
  pk: number;
  id: string;
  call_sid: string | null;
  stream_sid: string | null;
  call_log_id: string | null;
  direction: 'inbound' | 'outbound';
  from_number: string | null;
  to_number: string | null;
  agent: string | null;
  custom_field: string | null;
  status: CallFields['status'];
  created_at: number;
  updated_at: number;
  answered_at: number | null;
  started_at: number | null;
  ended_at: number | null;
  end_reason: CallFields['endReason'];
  close_code: number | null;
  total_ms: number | null;
  media_ms: number | null;
  conversation_ms: number | null;
  recording_url: string | null;
  exotel_status: string | null;
  exotel_legs: string | null;
  exotel_details: string | null;
}

export interface TurnRow {
  seq: number;
  role: 'caller' | 'agent';
  text: string;
  started_at: number;
  ended_at: number | null;
  interrupted: number;
  heard_text: string | null;
}

export interface EventRow {
  at: number;
  type: string;
  data: string;
  truncated: number;
}

/** The columns of `calls` (all but pk), in the order the stores write them. */
export const CALL_COLUMN_NAMES = [
  'id', 'call_sid', 'stream_sid', 'call_log_id', 'direction', 'from_number', 'to_number', 'agent', 'custom_field',
  'status', 'created_at', 'updated_at', 'answered_at', 'started_at', 'ended_at', 'end_reason', 'close_code', 'total_ms',
  'media_ms', 'conversation_ms', 'recording_url', 'exotel_status', 'exotel_legs', 'exotel_details',
] as const satisfies readonly (keyof Omit<CallRow, 'pk'>)[];
export const CALL_COLUMNS = CALL_COLUMN_NAMES.join(', ');

/** The fields of a call about to be inserted: a fresh id, defaults filled in. */
export function newCallFields(call: NewCall, now: number): CallFields {
  const createdAt = call.createdAt ?? now;
  return {
    id: newCallId(createdAt),
    callSid: call.callSid ?? null,
    streamSid: call.streamSid ?? null,
    callLogId: call.callLogId ?? null,
    direction: call.direction,
    from: call.from ?? null,
    to: call.to ?? null,
    agent: call.agent ?? null,
    customField: call.customField ?? null,
    status: call.status ?? (call.direction === 'outbound' ? 'queued' : 'ringing'),
    createdAt,
    updatedAt: now,
    answeredAt: null,
    startedAt: null,
    endedAt: null,
    endReason: null,
    closeCode: null,
    durations: deriveDurations({ createdAt, answeredAt: null, startedAt: null, endedAt: null }),
    recordingUrl: null,
    exotelStatus: null,
    exotelLegs: null,
    exotelDetails: null,
  };
}

export function rowToTurn(r: TurnRow): TranscriptTurn {
  const turn: TranscriptTurn = {
    seq: r.seq,
    role: r.role,
    text: r.text,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    interrupted: r.interrupted === 1,
  };
  if (r.heard_text !== null) turn.heardText = r.heard_text;
  return turn;
}

export function rowToFields(r: CallRow): CallFields {
  return {
    id: r.id,
    callSid: r.call_sid,
    streamSid: r.stream_sid,
    callLogId: r.call_log_id,
    direction: r.direction,
    from: r.from_number,
    to: r.to_number,
    agent: r.agent,
    customField: r.custom_field,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    answeredAt: r.answered_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    closeCode: r.close_code,
    durations: { totalMs: r.total_ms, mediaMs: r.media_ms, conversationMs: r.conversation_ms },
    recordingUrl: r.recording_url,
    exotelStatus: r.exotel_status,
    exotelLegs: r.exotel_legs === null ? null : (JSON.parse(r.exotel_legs) as Record<string, unknown>[]),
    exotelDetails: r.exotel_details === null ? null : (JSON.parse(r.exotel_details) as Record<string, unknown>),
  };
}

export function fieldsToParams(f: CallFields): Omit<CallRow, 'pk'> {
  return {
    id: f.id,
    call_sid: f.callSid,
    stream_sid: f.streamSid,
    call_log_id: f.callLogId,
    direction: f.direction,
    from_number: f.from,
    to_number: f.to,
    agent: f.agent,
    custom_field: f.customField,
    status: f.status,
    created_at: f.createdAt,
    updated_at: f.updatedAt,
    answered_at: f.answeredAt,
    started_at: f.startedAt,
    ended_at: f.endedAt,
    end_reason: f.endReason,
    close_code: f.closeCode,
    total_ms: f.durations.totalMs,
    media_ms: f.durations.mediaMs,
    conversation_ms: f.durations.conversationMs,
    recording_url: f.recordingUrl,
    exotel_status: f.exotelStatus,
    exotel_legs: f.exotelLegs === null ? null : JSON.stringify(f.exotelLegs),
    exotel_details: f.exotelDetails === null ? null : JSON.stringify(f.exotelDetails),
  };
}
