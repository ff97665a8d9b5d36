// A local OpenAI Realtime server speaking the documented WebSocket protocol, for tests and benchmarks.
//
// Followed (stored copies, read 2026):
// - developers.openai.com/api/docs/guides/realtime-websocket: `GET /v1/realtime?model=...`, `Authorization: Bearer`,
//   `OpenAI-Beta: realtime=v1` selecting the beta shape (flat session, `response.audio.delta` names).
// - developers.openai.com/api/docs/guides/realtime-conversations: session.created/update/updated, the input audio
//   buffer (append/commit/clear, server VAD speech_started/stopped then committed), the response event sequence
//   (response.created, output_item.added, content_part.added, audio + transcript deltas, ... response.done),
//   function calling (function_call_arguments.delta/done, then `function_call_output` + `response.create`),
//   `conversation.item.truncate` ("If the audio_end_ms is greater than the actual audio duration, the server will
//   respond with an error") and `conversation.item.truncated`, response.cancel (response.done status cancelled).
// - Client/server event reference (openai-agents-js packages/agents-realtime/src/openaiRealtimeEvents.ts mirrors it):
//   GA names `response.output_audio.delta`, `response.output_audio_transcript.delta`, `conversation.item.added`.
// - community.openai.com "Realtime API Session Timeout (Post GA)" and the Realtime developer notes: sessions last up to
//   60 minutes (30 before GA); at the limit the server sends an `error` with code `session_expired` ("Your session
//   hit the maximum duration of N minutes.") and closes.
// - Errors for misuse as the API reports them: `response_cancel_not_active`, `conversation_already_has_active_response`,
//   `input_audio_buffer_commit_empty` (less than 100 ms of audio).
//
// Responses are scripted by the test: text (spoken as a deterministic tone whose length follows the text) and/or a
// function call. Audio deltas are paced by `firstDeltaDelayMs` / `deltaIntervalMs`, so a benchmark can subtract the
// provider's own latency from what it measures.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { alawToPcm16, pcm16ToAlaw, pcm16ToUlaw, ulawToPcm16 } from '../../src/audio/g711.js';

export type FakeFormat = 'pcm16' | 'g711_ulaw' | 'g711_alaw';

export interface FakeReply {
  /** Spoken as a tone of `msPerChar` per character; the transcript is this text. */
  text?: string;
  /** A function call after the text (same response). */
  functionCall?: { name: string; arguments: Record<string, unknown> | string };
  /** Terminate the socket after this many audio deltas (the provider dropping mid-reply). */
  dropAfterDeltas?: number;
  /** Override the fake's delta pacing for this reply. */
  deltaIntervalMs?: number;
}

export interface ScriptContext {
  /** What made the server respond. */
  trigger: 'server-vad' | 'response.create';
  connection: FakeConnection;
  /** 0-based over the whole fake. */
  responseIndex: number;
  /** Transcript of the latest user item (text items included). */
  lastUserText: string | undefined;
  /** Function outputs added since the previous response. */
  toolOutputs: Array<{ callId: string; name: string; output: string }>;
  /** `response.create` instructions, if any. */
  instructions: string | undefined;
}

export interface FakeRealtimeOptions {
  apiKey?: string;
  /** How a wrong key is refused: HTTP 401 on the upgrade (default) or an `invalid_api_key` error event then close. */
  authFailure?: 'upgrade' | 'error-event';
  /** Delay before answering the upgrade (slow handshake). */
  upgradeDelayMs?: number;
  /** From the trigger (speech stopped / response.create) to the first audio delta. Default 50. */
  firstDeltaDelayMs?: number;
  /** Between deltas. Default 20 (5x real time with 100 ms deltas). */
  deltaIntervalMs?: number;
  /** Audio per delta. Default 100 ms. */
  deltaMs?: number;
  /** Spoken length per character of text. Default 50 ms. */
  msPerChar?: number;
  /** Server VAD: a 20 ms window counts as speech above this level. Default -45 dBFS. */
  vadThresholdDbfs?: number;
  /** Session time limit. Default 60 minutes. */
  maxSessionMs?: number;
  script: (ctx: ScriptContext) => FakeReply;
  /** What the caller "said" in a committed user item (the input transcription). */
  transcribe?: (ctx: { connection: FakeConnection; userItemIndex: number; audioMs: number }) => string;
}

export interface FakeTruncate {
  itemId: string;
  contentIndex: number;
  audioEndMs: number;
  /** Audio the fake had sent for that item when the truncate came. */
  sentAudioMs: number;
  /** Whether that item's response was still producing audio. */
  responseActive: boolean;
  atMs: number;
  accepted: boolean;
}

export interface FakeCancel {
  atMs: number;
  responseId: string | undefined;
  /** A response was in progress (otherwise the fake answered `response_cancel_not_active`). */
  active: boolean;
}

interface FakeItem {
  id: string;
  type: 'message' | 'function_call' | 'function_call_output';
  role?: 'user' | 'assistant' | 'system';
  text?: string;
  audioMs: number;
  callId?: string;
  name?: string;
  output?: string;
  truncatedAtMs?: number;
}

interface ActiveResponse {
  id: string;
  timer: NodeJS.Timeout | undefined;
  /** Ends the current wait early (cancel). */
  wake: (() => void) | undefined;
  output: FakeItem[];
  cancelled: boolean;
}

const GA_TO_BETA: Record<string, string> = {
  'response.output_audio.delta': 'response.audio.delta',
  'response.output_audio.done': 'response.audio.done',
  'response.output_audio_transcript.delta': 'response.audio_transcript.delta',
  'response.output_audio_transcript.done': 'response.audio_transcript.done',
  'conversation.item.added': 'conversation.item.created',
};

const TONE_HZ = 440;
const TONE_AMPLITUDE = 8000;
const VAD_WINDOW_MS = 20;

let nextId = 1;
const newId = (prefix: string): string => `${prefix}_${(nextId++).toString(36).padStart(6, '0')}`;

/** One client session on the fake. */
export class FakeConnection {
  readonly id = newId('sess');
  readonly protocol: 'ga' | 'beta';
  readonly openedAt = performance.now();
  /** Client events received (audio appends are counted, not kept). */
  readonly received: Array<{ type: string; atMs: number; event: Record<string, unknown> }> = [];
  readonly truncates: FakeTruncate[] = [];
  readonly cancels: FakeCancel[] = [];
  readonly items: FakeItem[] = [];
  readonly errorsSent: Array<{ code: string; message: string }> = [];
  /** performance.now() of server-side milestones, for benchmarks. */
  readonly timeline: Array<{ what: 'speech_started' | 'speech_stopped' | 'response_trigger' | 'first_delta' | 'response_done'; at: number; responseId?: string }> = [];
  format: FakeFormat = 'pcm16';
  instructions: string | undefined;
  turnDetection: Record<string, unknown> | null = { type: 'server_vad', silence_duration_ms: 500, prefix_padding_ms: 300, create_response: true };
  transcription: Record<string, unknown> | null = null;
  tools: Array<{ name: string }> = [];
  appendedAudioMs = 0;
  closedBy: 'client' | 'server' | 'dropped' | undefined;

  /** Input buffer since the last commit/clear. */
  private bufferSamples = 0;
  /** All audio appended in the session (VAD times are relative to its start, as the API's are). */
  private totalSamples = 0;
  private pendingUserItemId: string | undefined;
  private speechStartMs: number | null = null;
  private voicedRun = 0;
  private lastVoicedEndMs = 0;
  private windowEnergy = 0;
  private windowCount = 0;
  private active: ActiveResponse | undefined;
  private pendingToolOutputs: Array<{ callId: string; name: string; output: string }> = [];
  private userItems = 0;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly fake: FakeRealtimeServer,
    req: IncomingMessage,
  ) {
    this.protocol = req.headers['openai-beta'] === 'realtime=v1' ? 'beta' : 'ga';
    ws.on('message', (data) => this.onMessage(String(data)));
    ws.on('close', () => {
      this.closedBy ??= 'client';
      clearTimeout(this.expiryTimer);
      if (this.active) clearTimeout(this.active.timer);
    });
    this.send({ type: 'session.created', session: this.sessionObject() });
    const limit = fake.options.maxSessionMs ?? 60 * 60_000;
    this.expiryTimer = setTimeout(() => {
      const minutes = Math.round((limit / 60_000) * 100) / 100;
      this.error('session_expired', `Your session hit the maximum duration of ${minutes} minutes.`, 'invalid_request_error');
      this.closedBy = 'server';
      ws.close(1000, 'session expired');
    }, limit);
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get responseActive(): boolean {
    return this.active !== undefined;
  }

  /** Sends raw text (malformed-message tests). */
  sendRaw(text: string): void {
    if (this.isOpen) this.ws.send(text);
  }

  /** Terminates the TCP connection without a close frame. */
  drop(): void {
    this.closedBy = 'dropped';
    this.ws.terminate();
  }

  /** Received client events of one type. */
  eventsOf(type: string): Array<Record<string, unknown>> {
    return this.received.filter((r) => r.type === type).map((r) => r.event);
  }

  private send(event: Record<string, unknown>): void {
    if (!this.isOpen) return;
    const type = event.type as string;
    const named = this.protocol === 'beta' && GA_TO_BETA[type] ? { ...event, type: GA_TO_BETA[type] } : event;
    this.ws.send(JSON.stringify({ event_id: newId('event'), ...named }));
  }

  private error(code: string, message: string, type = 'invalid_request_error', eventId?: string): void {
    this.errorsSent.push({ code, message });
    this.send({ type: 'error', error: { type, code, message, param: null, event_id: eventId ?? null } });
  }

  private sessionObject(): Record<string, unknown> {
    if (this.protocol === 'beta') {
      return {
        id: this.id,
        object: 'realtime.session',
        input_audio_format: this.format,
        output_audio_format: this.format,
        turn_detection: this.turnDetection,
        input_audio_transcription: this.transcription,
        instructions: this.instructions ?? '',
        tools: this.tools,
      };
    }
    const format = this.format === 'pcm16' ? { type: 'audio/pcm', rate: 24000 } : { type: this.format === 'g711_ulaw' ? 'audio/pcmu' : 'audio/pcma' };
    return {
      id: this.id,
      type: 'realtime',
      object: 'realtime.session',
      instructions: this.instructions ?? '',
      audio: { input: { format, turn_detection: this.turnDetection, transcription: this.transcription }, output: { format } },
      tools: this.tools,
    };
  }

  private get bufferMs(): number {
    return (this.bufferSamples / this.rate) * 1000;
  }

  private get rate(): number {
    return this.format === 'pcm16' ? 24000 : 8000;
  }

  private onMessage(text: string): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.error('invalid_json', 'The server could not parse the JSON.');
      return;
    }
    const type = String(event.type);
    const atMs = performance.now() - this.openedAt;
    if (type === 'input_audio_buffer.append') {
      this.onAppend(String(event.audio ?? ''));
      return;
    }
    this.received.push({ type, atMs, event });
    switch (type) {
      case 'session.update':
        return this.onSessionUpdate(event.session as Record<string, unknown>);
      case 'input_audio_buffer.commit':
        return this.commit(false);
      case 'input_audio_buffer.clear':
        this.resetBuffer();
        this.send({ type: 'input_audio_buffer.cleared' });
        return;
      case 'conversation.item.create':
        return this.onItemCreate(event.item as Record<string, unknown>);
      case 'conversation.item.truncate':
        return this.onTruncate(event, atMs);
      case 'response.create': {
        const response = event.response as { instructions?: string } | undefined;
        if (this.active) {
          this.error('conversation_already_has_active_response', `Conversation already has an active response in progress: ${this.active.id}.`);
          return;
        }
        this.respond('response.create', response?.instructions);
        return;
      }
      case 'response.cancel':
        return this.onCancel(event.response_id as string | undefined, atMs);
      default:
        this.error('unknown_event', `Invalid value: '${type}'.`);
    }
  }

  private onSessionUpdate(session: Record<string, unknown>): void {
    if (typeof session !== 'object' || session === null) {
      this.error('invalid_value', 'session must be an object');
      return;
    }
    if (this.protocol === 'beta') {
      if ('audio' in session || session.type === 'realtime') {
        this.error('invalid_value', 'GA session shape sent on a beta (OpenAI-Beta: realtime=v1) connection');
        return;
      }
      if (session.input_audio_format !== undefined) this.format = session.input_audio_format as FakeFormat;
      if ('turn_detection' in session) this.turnDetection = session.turn_detection as Record<string, unknown> | null;
      if ('input_audio_transcription' in session) this.transcription = session.input_audio_transcription as Record<string, unknown> | null;
    } else {
      if (session.type !== 'realtime' || 'input_audio_format' in session || 'modalities' in session) {
        this.error('invalid_value', "GA session.update needs session.type 'realtime' and the nested audio object");
        return;
      }
      const input = (session.audio as { input?: Record<string, unknown> } | undefined)?.input;
      const fmt = input?.format as { type?: string; rate?: number } | undefined;
      if (fmt) {
        if (fmt.type === 'audio/pcm' && (fmt.rate ?? 24000) === 24000) this.format = 'pcm16';
        else if (fmt.type === 'audio/pcmu') this.format = 'g711_ulaw';
        else if (fmt.type === 'audio/pcma') this.format = 'g711_alaw';
        else {
          this.error('invalid_value', `unsupported audio format ${JSON.stringify(fmt)}`);
          return;
        }
      }
      if (input && 'turn_detection' in input) this.turnDetection = input.turn_detection as Record<string, unknown> | null;
      if (input && 'transcription' in input) this.transcription = input.transcription as Record<string, unknown> | null;
    }
    if (typeof session.instructions === 'string') this.instructions = session.instructions;
    if (Array.isArray(session.tools)) this.tools = session.tools as Array<{ name: string }>;
    this.send({ type: 'session.updated', session: this.sessionObject() });
  }

  private decode(b64: string): Int16Array {
    const bytes = Buffer.from(b64, 'base64');
    if (this.format === 'g711_ulaw') return ulawToPcm16(bytes);
    if (this.format === 'g711_alaw') return alawToPcm16(bytes);
    const pcm = new Int16Array(bytes.length >> 1);
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.byteLength));
    return pcm;
  }

  private onAppend(b64: string): void {
    const pcm = this.decode(b64);
    const rate = this.rate;
    this.appendedAudioMs += (pcm.length / rate) * 1000;
    const windowSamples = (rate * VAD_WINDOW_MS) / 1000;
    for (let i = 0; i < pcm.length; i++) {
      this.windowEnergy += pcm[i] * pcm[i];
      this.totalSamples++;
      this.bufferSamples++;
      if (++this.windowCount === windowSamples) {
        this.vadWindow(this.windowEnergy / windowSamples);
        this.windowEnergy = 0;
        this.windowCount = 0;
      }
    }
  }

  /** Server VAD over 20 ms windows: two voiced windows start speech, `silence_duration_ms` of quiet ends it. */
  private vadWindow(meanSquare: number): void {
    const td = this.turnDetection;
    if (td === null || (td.type !== 'server_vad' && td.type !== 'semantic_vad')) return;
    const windowEndMs = (this.totalSamples / this.rate) * 1000;
    const db = 10 * Math.log10(meanSquare / (32768 * 32768) + 1e-12);
    const voiced = db > (this.fake.options.vadThresholdDbfs ?? -45);
    if (voiced) {
      this.voicedRun++;
      this.lastVoicedEndMs = windowEndMs;
      if (this.speechStartMs === null && this.voicedRun >= 2) {
        const padding = Number(td.prefix_padding_ms ?? 300);
        this.speechStartMs = Math.max(0, windowEndMs - 2 * VAD_WINDOW_MS - padding);
        this.fakeTimeline('speech_started');
        this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: Math.round(this.speechStartMs), item_id: this.nextUserItemId() });
      }
      return;
    }
    this.voicedRun = 0;
    const silence = Number(td.silence_duration_ms ?? 500);
    if (this.speechStartMs !== null && windowEndMs - this.lastVoicedEndMs >= silence) {
      this.speechStartMs = null;
      this.fakeTimeline('speech_stopped');
      this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: Math.round(this.lastVoicedEndMs), item_id: this.nextUserItemId() });
      this.commit(true);
    }
  }

  private nextUserItemId(): string {
    this.pendingUserItemId ??= newId('item');
    return this.pendingUserItemId;
  }

  private resetBuffer(): void {
    this.bufferSamples = 0;
  }

  private fakeTimeline(what: FakeConnection['timeline'][number]['what'], responseId?: string): void {
    this.timeline.push({ what, at: performance.now(), ...(responseId ? { responseId } : {}) });
  }

  private commit(byServer: boolean): void {
    if (this.bufferMs < 100) {
      if (!byServer) this.error('input_audio_buffer_commit_empty', `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${this.bufferMs.toFixed(2)}ms of audio.`);
      return;
    }
    const id = this.nextUserItemId();
    this.pendingUserItemId = undefined;
    const previous = this.items.at(-1)?.id ?? null;
    const audioMs = this.bufferMs;
    const userItemIndex = this.userItems++;
    const text = this.fake.options.transcribe?.({ connection: this, userItemIndex, audioMs }) ?? '';
    const item: FakeItem = { id, type: 'message', role: 'user', text, audioMs };
    this.items.push(item);
    this.resetBuffer();
    this.send({ type: 'input_audio_buffer.committed', item_id: id, previous_item_id: previous });
    this.send({ type: 'conversation.item.added', previous_item_id: previous, item: { id, object: 'realtime.item', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_audio', transcript: null }] } });
    if (this.transcription) this.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: id, content_index: 0, transcript: text });
    const td = this.turnDetection;
    if (byServer && td && td.create_response !== false && !this.active) this.respond('server-vad', undefined);
  }

  private onItemCreate(raw: Record<string, unknown>): void {
    if (typeof raw !== 'object' || raw === null) {
      this.error('invalid_value', 'item must be an object');
      return;
    }
    const previous = this.items.at(-1)?.id ?? null;
    const id = (raw.id as string | undefined) ?? newId('item');
    let item: FakeItem;
    if (raw.type === 'function_call_output') {
      const call = this.items.find((i) => i.type === 'function_call' && i.callId === raw.call_id);
      if (!call) {
        this.error('invalid_value', `No function call found with call_id '${String(raw.call_id)}'.`);
        return;
      }
      if (typeof raw.output !== 'string') {
        this.error('invalid_type', 'function_call_output.output must be a string');
        return;
      }
      item = { id, type: 'function_call_output', callId: call.callId, name: call.name, output: raw.output, audioMs: 0 };
      this.pendingToolOutputs.push({ callId: call.callId as string, name: call.name as string, output: raw.output });
    } else if (raw.type === 'message') {
      const role = raw.role as FakeItem['role'];
      const content = raw.content as Array<{ type: string; text?: string }> | undefined;
      const allowed = role === 'assistant' ? (this.protocol === 'ga' ? 'output_text' : 'text') : 'input_text';
      if (!Array.isArray(content) || content.length === 0 || content.some((c) => c.type !== allowed || typeof c.text !== 'string')) {
        this.error('invalid_value', `message content for role ${String(role)} must be ${allowed} parts`);
        return;
      }
      item = { id, type: 'message', role, text: content.map((c) => c.text).join(' '), audioMs: 0 };
    } else {
      this.error('invalid_value', `unsupported item type ${String(raw.type)}`);
      return;
    }
    this.items.push(item);
    this.send({ type: 'conversation.item.added', previous_item_id: previous, item: { ...raw, id, object: 'realtime.item', status: 'completed' } });
  }

  private onTruncate(event: Record<string, unknown>, atMs: number): void {
    const itemId = String(event.item_id);
    const audioEndMs = Number(event.audio_end_ms);
    const contentIndex = Number(event.content_index);
    const item = this.items.find((i) => i.id === itemId);
    const record: FakeTruncate = {
      itemId,
      contentIndex,
      audioEndMs,
      sentAudioMs: item?.audioMs ?? 0,
      responseActive: this.active?.output.includes(item as FakeItem) ?? false,
      atMs,
      accepted: false,
    };
    this.truncates.push(record);
    if (!item || item.role !== 'assistant') {
      this.error('invalid_value', `Only assistant messages can be truncated; no such item '${itemId}'.`);
      return;
    }
    if (!Number.isFinite(audioEndMs) || audioEndMs < 0 || audioEndMs > item.audioMs) {
      this.error('invalid_value', `Audio content of ${Math.round(item.audioMs)}ms is already shorter than ${audioEndMs}ms`);
      return;
    }
    record.accepted = true;
    item.truncatedAtMs = audioEndMs;
    // The server drops the transcript of the unheard part.
    if (item.text) item.text = item.text.slice(0, Math.round((item.text.length * audioEndMs) / Math.max(1, item.audioMs)));
    this.send({ type: 'conversation.item.truncated', item_id: itemId, content_index: contentIndex, audio_end_ms: audioEndMs });
  }

  private onCancel(responseId: string | undefined, atMs: number): void {
    const active = this.active;
    this.cancels.push({ atMs, responseId, active: active !== undefined });
    if (!active || (responseId !== undefined && responseId !== active.id)) {
      this.error('response_cancel_not_active', 'Cancellation failed: no active response found');
      return;
    }
    active.cancelled = true;
    clearTimeout(active.timer);
    active.wake?.();
  }

  private respond(trigger: ScriptContext['trigger'], instructions: string | undefined): void {
    const lastUser = [...this.items].reverse().find((i) => i.type === 'message' && i.role === 'user');
    const reply = this.fake.options.script({
      trigger,
      connection: this,
      responseIndex: this.fake.responseCount++,
      lastUserText: lastUser?.text,
      toolOutputs: this.pendingToolOutputs.splice(0),
      instructions,
    });
    const responseId = newId('resp');
    this.fakeTimeline('response_trigger', responseId);
    const active: ActiveResponse = { id: responseId, timer: undefined, wake: undefined, output: [], cancelled: false };
    this.active = active;
    this.send({ type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
    this.send({ type: 'rate_limits.updated', rate_limits: [{ name: 'tokens', limit: 40000, remaining: 39000, reset_seconds: 1.5 }] });
    void this.run(active, reply).catch(() => undefined);
  }

  private wait(active: ActiveResponse, ms: number): Promise<void> {
    return new Promise((resolve) => {
      active.wake = resolve;
      active.timer = setTimeout(resolve, ms);
    });
  }

  private async run(active: ActiveResponse, reply: FakeReply): Promise<void> {
    const o = this.fake.options;
    await this.wait(active, o.firstDeltaDelayMs ?? 50);
    let outputIndex = 0;
    let deltas = 0;
    if (reply.text !== undefined && !active.cancelled) {
      const item: FakeItem = { id: newId('item'), type: 'message', role: 'assistant', text: '', audioMs: 0 };
      active.output.push(item);
      this.items.push(item);
      const previous = this.items.at(-2)?.id ?? null;
      const ids = { response_id: active.id, item_id: item.id, output_index: outputIndex, content_index: 0 };
      const itemObject = { id: item.id, object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] };
      this.send({ type: 'response.output_item.added', response_id: active.id, output_index: outputIndex, item: itemObject });
      this.send({ type: 'conversation.item.added', previous_item_id: previous, item: itemObject });
      this.send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });
      const totalMs = Math.max(o.deltaMs ?? 100, Math.round(reply.text.length * (o.msPerChar ?? 50)));
      const deltaMs = o.deltaMs ?? 100;
      const tone = toneGenerator(this.rate);
      const words = reply.text.split(/(?<=\s)/);
      let wordsSent = 0;
      let transcript = '';
      while (item.audioMs < totalMs && !active.cancelled) {
        if (deltas > 0) await this.wait(active, reply.deltaIntervalMs ?? o.deltaIntervalMs ?? 20);
        if (active.cancelled || !this.isOpen) break;
        const ms = Math.min(deltaMs, totalMs - item.audioMs);
        const pcm = tone(Math.round((ms * this.rate) / 1000));
        this.send({ type: 'response.output_audio.delta', ...ids, delta: this.encode(pcm) });
        item.audioMs += ms;
        deltas++;
        if (deltas === 1) this.fakeTimeline('first_delta', active.id);
        // Transcript deltas keep pace with the audio.
        const due = Math.ceil((words.length * item.audioMs) / totalMs);
        if (due > wordsSent) {
          const delta = words.slice(wordsSent, due).join('');
          wordsSent = due;
          transcript += delta;
          this.send({ type: 'response.output_audio_transcript.delta', ...ids, delta });
        }
        if (reply.dropAfterDeltas !== undefined && deltas >= reply.dropAfterDeltas) {
          this.active = undefined;
          this.drop();
          return;
        }
      }
      item.text = transcript;
      const status = active.cancelled ? 'incomplete' : 'completed';
      this.send({ type: 'response.output_audio.done', ...ids });
      this.send({ type: 'response.output_audio_transcript.done', ...ids, transcript });
      this.send({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript } });
      this.send({ type: 'response.output_item.done', response_id: active.id, output_index: outputIndex, item: { ...itemObject, status, content: [{ type: 'output_audio', transcript }] } });
      outputIndex++;
    }
    if (reply.functionCall && !active.cancelled) {
      const args = typeof reply.functionCall.arguments === 'string' ? reply.functionCall.arguments : JSON.stringify(reply.functionCall.arguments);
      const item: FakeItem = { id: newId('item'), type: 'function_call', callId: newId('call'), name: reply.functionCall.name, audioMs: 0 };
      active.output.push(item);
      this.items.push(item);
      const base = { id: item.id, object: 'realtime.item', type: 'function_call', call_id: item.callId, name: item.name };
      this.send({ type: 'response.output_item.added', response_id: active.id, output_index: outputIndex, item: { ...base, status: 'in_progress', arguments: '' } });
      this.send({ type: 'conversation.item.added', previous_item_id: this.items.at(-2)?.id ?? null, item: { ...base, status: 'in_progress', arguments: '' } });
      const ids = { response_id: active.id, item_id: item.id, output_index: outputIndex, call_id: item.callId };
      const half = Math.ceil(args.length / 2);
      this.send({ type: 'response.function_call_arguments.delta', ...ids, delta: args.slice(0, half) });
      this.send({ type: 'response.function_call_arguments.delta', ...ids, delta: args.slice(half) });
      this.send({ type: 'response.function_call_arguments.done', ...ids, name: item.name, arguments: args });
      this.send({ type: 'response.output_item.done', response_id: active.id, output_index: outputIndex, item: { ...base, status: 'completed', arguments: args } });
    }
    this.active = undefined;
    const status = active.cancelled ? 'cancelled' : 'completed';
    this.fakeTimeline('response_done', active.id);
    this.send({
      type: 'response.done',
      response: {
        id: active.id,
        object: 'realtime.response',
        status,
        status_details: active.cancelled ? { type: 'cancelled', reason: 'client_cancelled' } : null,
        output: active.output.map((i) =>
          i.type === 'function_call'
            ? { id: i.id, type: 'function_call', call_id: i.callId, name: i.name, status: 'completed' }
            : { id: i.id, type: 'message', role: 'assistant', status: active.cancelled ? 'incomplete' : 'completed', content: [{ type: 'output_audio', transcript: i.text }] },
        ),
        usage: { total_tokens: 100, input_tokens: 60, output_tokens: 40 },
      },
    });
  }

  private encode(pcm: Int16Array): string {
    if (this.format === 'g711_ulaw') return Buffer.from(pcm16ToUlaw(pcm)).toString('base64');
    if (this.format === 'g711_alaw') return Buffer.from(pcm16ToAlaw(pcm)).toString('base64');
    return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
  }
}

/** A continuous 440 Hz tone, chunk after chunk (phase carries over). */
function toneGenerator(rate: number): (samples: number) => Int16Array {
  let n = 0;
  return (samples) => {
    const out = new Int16Array(samples);
    for (let i = 0; i < samples; i++, n++) out[i] = Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * n) / rate));
    return out;
  };
}

export class FakeRealtimeServer {
  readonly connections: FakeConnection[] = [];
  /** Upgrade attempts, refused ones included. */
  readonly upgrades: Array<{ status: number; authorization: string | undefined; beta: boolean; model: string | null }> = [];
  responseCount = 0;
  private failures: number[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly server: Server;
  private baseUrl = '';

  constructor(readonly options: FakeRealtimeOptions) {
    this.server = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    this.server.on('upgrade', (req, socket, head) => void this.onUpgrade(req, socket, head));
  }

  /** `http://127.0.0.1:<port>/v1`: what the client takes as its OPENAI_BASE_URL. */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  /** The next `count` upgrades are answered with this HTTP status (429, 500, ...). */
  failNextUpgrades(status: number, count = 1): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** The newest connection. */
  get last(): FakeConnection | undefined {
    return this.connections.at(-1);
  }

  async close(): Promise<void> {
    for (const c of this.connections) if (c.isOpen) c.drop();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const o = this.options;
    const url = new URL(req.url ?? '/', 'http://x');
    const authorization = req.headers.authorization;
    const record = { status: 101, authorization, beta: req.headers['openai-beta'] === 'realtime=v1', model: url.searchParams.get('model') };
    this.upgrades.push(record);
    if (o.upgradeDelayMs) await new Promise((r) => setTimeout(r, o.upgradeDelayMs));
    const refuse = (status: number, code: string, message: string): void => {
      record.status = status;
      const body = JSON.stringify({ error: { type: 'invalid_request_error', code, message, param: null } });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${status === 429 ? 'Retry-After: 2\r\n' : ''}\r\n${body}`);
    };
    if (url.pathname !== '/v1/realtime') return refuse(404, 'not_found', `Invalid URL (GET ${url.pathname})`);
    if (!record.model) return refuse(400, 'missing_model', 'You must provide a model parameter');
    const failure = this.failures.shift();
    if (failure !== undefined) return refuse(failure, failure === 429 ? 'rate_limit_exceeded' : 'server_error', 'The server had an error while processing your request.');
    const keyOk = authorization === `Bearer ${o.apiKey ?? 'sk-test'}`;
    if (!keyOk && (o.authFailure ?? 'upgrade') === 'upgrade') return refuse(401, 'invalid_api_key', 'Incorrect API key provided.');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!keyOk) {
        ws.send(JSON.stringify({ type: 'error', event_id: newId('event'), error: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.', param: null, event_id: null } }));
        ws.close(1008, 'invalid_api_key');
        return;
      }
      this.connections.push(new FakeConnection(ws, this, req));
    });
  }
}

export async function startFakeRealtime(options: FakeRealtimeOptions): Promise<FakeRealtimeServer> {
  return new FakeRealtimeServer(options).start();
}
