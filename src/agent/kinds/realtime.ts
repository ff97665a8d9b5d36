// Bridges a call to an OpenAI Realtime (speech-to-speech) session: caller audio goes up as it arrives, the model's
// audio comes back into the call's playout with a mark per audio item, and the bridge keeps the model's idea of the
// conversation in line with what the caller actually heard (barge-in: clear + response.cancel + truncate at the
// playout position). Tools run between responses; `end_call` / `transfer` end the call after the last line played.
// Sessions are rotated before the provider's time limit (60 min since GA, 30 before) at a quiet moment, with the
// conversation replayed as text; a refused or dropped session is reported through `onFailure`.
import { BUILTIN_TOOL_SPECS } from '../tools/builtin-tools.js';
import { SpeechDetector } from '../../audio/speech-detector.js';
import type { VadSampleRate } from '../../audio/vad.js';
import { bytesPerMs, defaultFrameBytes } from '../../exotel/frame-rules.js';
import { ProviderError, isRetryable } from '../../providers/errors.js';
import { connectRealtime, type RealtimeCloseInfo, type RealtimeConnection } from '../../providers/realtime/openai-realtime.js';
import { RealtimeAudioDecoder, RealtimeAudioEncoder, chooseRealtimeFormat } from '../../providers/realtime/realtime-audio.js';
import type { RealtimeServerEvent, ServerEventOf } from '../../providers/realtime/realtime-events.js';
import { PlayoutLedger, heardPrefix, type LedgerItem } from '../../providers/realtime/playout-ledger.js';
import { formatBytesPerMs, textItem, type RealtimeProtocol, type RealtimeSessionConfig } from '../../providers/realtime/realtime-session.js';
import type { ToolSpec } from '../../providers/types.js';
import type { Agent, AgentSession, CallControl, EndReason } from '../../conversation/call-contract.js';

export interface RealtimeToolContext {
  call: CallControl;
  /** Aborted when the call ends or the tool times out. */
  signal: AbortSignal;
  /** The model's id for this call. */
  callId: string;
}

/** A function the model may call; its result (JSON-serialisable) goes back to the model. */
export interface RealtimeTool {
  spec: ToolSpec;
  run(args: unknown, ctx: RealtimeToolContext): Promise<unknown>;
}

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

const GOODBYE_INSTRUCTIONS = 'Say a short, friendly goodbye to the caller now. Do not call any tool.';
const HANDOVER_INSTRUCTIONS = 'Tell the caller in one short sentence that you are transferring them to a colleague now. Do not call any tool.';
const ROTATION_PREFIX_MS = 300;
const RING_MS = 1000;
const QUIET_POLL_MS = 50;

/** The caller's recent audio in the session's input format: sent when a session opens late or replaces another. */
class AudioRing {
  private readonly buf: Uint8Array;
  private end = 0;
  private filled = 0;

  constructor(bytes: number) {
    this.buf = new Uint8Array(bytes);
  }

  write(data: Uint8Array): void {
    const cap = this.buf.length;
    const src = data.length > cap ? data.subarray(data.length - cap) : data;
    const first = Math.min(src.length, cap - this.end);
    this.buf.set(src.subarray(0, first), this.end);
    this.buf.set(src.subarray(first), 0);
    this.end = (this.end + src.length) % cap;
    this.filled = Math.min(cap, this.filled + src.length);
  }

  /** The newest `bytes` (or all there is), oldest first. */
  last(bytes: number): Uint8Array {
    const n = Math.min(bytes, this.filled);
    const out = new Uint8Array(n);
    const start = (this.end - n + this.buf.length) % this.buf.length;
    const first = Math.min(n, this.buf.length - start);
    out.set(this.buf.subarray(start, start + first), 0);
    out.set(this.buf.subarray(0, n - first), first);
    return out;
  }
}

interface ResponseState {
  id: string;
  items: LedgerItem[];
  callNames: Map<string, string>;
  toolRuns: Array<Promise<{ callId: string; name: string; output: string }>>;
  cancelled: boolean;
  /** This response is the goodbye / hand-over line: hang up once it played. */
  closing: boolean;
}

interface HistoryEntry {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

interface Slot {
  conn: RealtimeConnection | undefined;
}

interface Latency {
  trigger: 'speech-end' | 'request';
  at: number;
  delta: boolean;
  play: boolean;
  mark: boolean;
}

function failureKind(err: unknown): RealtimeFailureKind {
  if (!(err instanceof ProviderError)) return 'connection-lost';
  if (err.details?.providerCode === 'session_expired') return 'session-expired';
  switch (err.code) {
    case 'unauthorized':
    case 'rate-limited':
    case 'timeout':
    case 'server':
    case 'bad-response':
      return err.code;
    default:
      return 'connection-lost';
  }
}

/** One call's bridge. */
class RealtimeBridge implements AgentSession {
  private readonly rate: number;
  private readonly protocol: RealtimeProtocol;
  private readonly encoder: RealtimeAudioEncoder;
  private readonly decoder: RealtimeAudioDecoder;
  private readonly ledger: PlayoutLedger;
  private readonly frameSamples: number;
  private readonly ring: AudioRing;
  private readonly ringBytesPerMs: number;
  private readonly session: RealtimeSessionConfig;
  private readonly tools: Map<string, RealtimeTool>;
  private detector: SpeechDetector | undefined;

  private active: Slot | undefined;
  private standby: { slot: Slot; replayed: number } | undefined;
  private preparing = false;
  private rotationTimer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly responses = new Map<string, ResponseState>();
  private activeResponse: ResponseState | undefined;
  private pendingCreate: { params: Record<string, unknown> | undefined; closing: boolean } | undefined;
  private closingRequested = false;
  private toolsRunning = 0;
  private prebuffer: { item: LedgerItem; chunks: Int16Array[]; samples: number } | undefined;
  /** Settles when the item's end mark came back (or was given up on). */
  private readonly markOf = new Map<LedgerItem, Promise<void>>();
  private readonly turnOf = new Map<string, number>();
  private readonly interrupted = new Set<string>();
  private readonly history: HistoryEntry[] = [];
  private readonly historyOf = new Map<string, HistoryEntry>();
  private callerSpeaking = false;
  private callerStartedAt = 0;
  private callerEndedAt = 0;
  private latency: Latency | undefined;
  private ending: { reason: 'bot-hangup' | 'transfer'; detail: string } | undefined;
  private markSeq = 0;

  constructor(
    private readonly call: CallControl,
    private readonly o: RealtimeAgentOptions,
  ) {
    this.rate = call.info.sampleRate;
    this.protocol = o.protocol ?? 'ga';
    const format = chooseRealtimeFormat(this.rate);
    this.encoder = new RealtimeAudioEncoder(this.rate, format);
    this.decoder = new RealtimeAudioDecoder(this.rate, format);
    const frameMs = defaultFrameBytes(this.rate) / bytesPerMs(this.rate);
    this.ledger = new PlayoutLedger(frameMs);
    this.frameSamples = (frameMs * this.rate) / 1000;
    this.ringBytesPerMs = formatBytesPerMs(format);
    this.ring = new AudioRing(RING_MS * this.ringBytesPerMs);
    const builtins = o.builtins ?? {};
    const specs: ToolSpec[] = (o.tools ?? []).map((t) => t.spec);
    if (builtins.endCall ?? true) specs.push(BUILTIN_TOOL_SPECS.end_call);
    if (builtins.transfer ?? true) specs.push(BUILTIN_TOOL_SPECS.transfer);
    this.tools = new Map((o.tools ?? []).map((t) => [t.spec.name, t]));
    const local = o.turnDetection === 'local';
    const transcriptionModel = o.transcriptionModel === undefined ? (this.protocol === 'ga' ? 'gpt-4o-mini-transcribe' : 'whisper-1') : o.transcriptionModel;
    this.session = {
      instructions: o.instructions,
      voice: o.voice,
      audioFormat: format,
      turnDetection: local ? null : { type: 'server_vad', ...o.serverVad, createResponse: true, interruptResponse: false },
      transcription: transcriptionModel ? { model: transcriptionModel, ...(o.language ? { language: o.language } : {}) } : null,
      tools: specs,
    };
  }

  async init(): Promise<void> {
    if (this.o.turnDetection === 'local') {
      this.detector = await SpeechDetector.create({ sampleRate: this.rate as VadSampleRate, hangoverMs: this.o.localHangoverMs ?? 500, maxSegmentMs: 30_000 });
    }
    void this.openFirst();
  }

  // ---- caller audio -------------------------------------------------------------------------

  onAudio(pcm: Int16Array): void {
    if (this.closed) return;
    const bytes = this.encoder.encode(pcm);
    this.ring.write(bytes);
    const conn = this.active?.conn;
    if (conn) conn.appendAudio(bytes);
    if (!this.detector) return;
    for (const ev of this.detector.push(pcm)) {
      if (ev.type === 'speech-start') this.callerSpeechStarted('local');
      else if (ev.type === 'speech-end') this.callerSpeechEnded('local');
    }
  }

  onEnd(_reason: EndReason): void {
    this.closed = true;
    clearTimeout(this.rotationTimer);
    clearInterval(this.quietTimer);
    this.detector?.close();
    void this.active?.conn?.close();
    void this.standby?.slot.conn?.close();
    this.active = undefined;
    this.standby = undefined;
  }

  // ---- sessions -----------------------------------------------------------------------------

  private async connect(slot: Slot): Promise<RealtimeConnection> {
    const conn = await connectRealtime(
      {
        apiKey: this.o.apiKey,
        baseUrl: this.o.baseUrl,
        model: this.o.model,
        protocol: this.protocol,
        connectTimeoutMs: this.o.connectTimeoutMs,
        signal: this.call.signal,
      },
      {
        onEvent: (e) => this.onEvent(slot, e),
        onInvalid: (err) => this.call.log.warn({ err: err.message }, 'realtime: unusable message'),
        onClose: (info) => this.onClose(slot, info),
      },
    );
    slot.conn = conn;
    conn.updateSession(this.session);
    return conn;
  }

  private async connectWithRetry(slot: Slot): Promise<RealtimeConnection> {
    try {
      return await this.connect(slot);
    } catch (err) {
      if (this.call.signal.aborted || !isRetryable(err)) throw err;
      this.call.record('realtime.retry', { error: (err as Error).message });
      return this.connect(slot);
    }
  }

  private async openFirst(): Promise<void> {
    const slot: Slot = { conn: undefined };
    const started = performance.now();
    let conn: RealtimeConnection;
    try {
      conn = await this.connectWithRetry(slot);
    } catch (err) {
      if (this.closed) return;
      this.fail(err, 'connect', false);
      return;
    }
    if (this.closed) {
      void conn.close();
      return;
    }
    this.call.record('realtime.connected', { ms: Math.round(performance.now() - started), protocol: this.protocol, format: this.session.audioFormat });
    this.activate(slot, RING_MS);
    if (this.o.greeting) this.requestResponse({ instructions: this.o.greeting });
  }

  /** Makes `slot` the live session: the caller's recent audio goes to it first, then everything new. */
  private activate(slot: Slot, replayAudioMs: number): void {
    this.active = slot;
    const recent = this.ring.last(replayAudioMs * this.ringBytesPerMs);
    if (recent.length > 0) slot.conn?.appendAudio(recent);
    this.scheduleRotation();
  }

  private scheduleRotation(): void {
    clearTimeout(this.rotationTimer);
    const max = this.o.maxSessionMs ?? 60 * 60_000;
    const lead = Math.min(this.o.rotateLeadMs ?? 5 * 60_000, max / 2);
    this.rotationTimer = setTimeout(() => void this.prepareStandby(), max - lead);
    this.rotationTimer.unref?.();
  }

  /** The conversation so far as text items (the newest `replayTurns`). */
  private replay(conn: RealtimeConnection, from: number): void {
    const keep = this.o.replayTurns ?? 40;
    const entries = this.history.slice(Math.max(from, this.history.length - keep));
    for (const h of entries) if (h.text) conn.createItem(textItem(h.role, h.text, this.protocol));
  }

  /** A new session with the conversation so far replayed into it; undefined when the call ended meanwhile. */
  private async openReplayed(): Promise<Slot | undefined> {
    const slot: Slot = { conn: undefined };
    const conn = await this.connectWithRetry(slot);
    if (this.closed) {
      void conn.close();
      return undefined;
    }
    this.replay(conn, 0);
    return slot;
  }

  private async prepareStandby(): Promise<void> {
    if (this.closed || this.preparing || this.standby) return;
    this.preparing = true;
    try {
      const slot = await this.openReplayed();
      if (!slot) return;
      this.standby = { slot, replayed: this.history.length };
      this.call.record('realtime.standby-ready', { replayed: this.history.length });
      this.quietTimer = setInterval(() => this.switchIfQuiet(), QUIET_POLL_MS);
    } catch (err) {
      // The current session still works; try again a little later (it will be forced if the old one expires).
      this.call.record('realtime.standby-failed', { error: (err as Error).message });
      if (!this.closed) this.rotationTimer = setTimeout(() => void this.prepareStandby(), 10_000);
    } finally {
      this.preparing = false;
    }
  }

  /** Nothing is being said or heard, nothing is pending: the switch cannot be noticed. */
  private get quiet(): boolean {
    return (
      !this.callerSpeaking &&
      this.activeResponse === undefined &&
      this.pendingCreate === undefined &&
      this.prebuffer === undefined &&
      this.toolsRunning === 0 &&
      this.ending === undefined &&
      this.ledger.unfinished().length === 0
    );
  }

  private switchIfQuiet(): void {
    if (this.closed || !this.standby) {
      clearInterval(this.quietTimer);
      return;
    }
    if (this.quiet) this.switchToStandby(false);
  }

  private switchToStandby(forced: boolean): void {
    const standby = this.standby;
    if (!standby) return;
    clearInterval(this.quietTimer);
    this.standby = undefined;
    const conn = standby.slot.conn as RealtimeConnection;
    // Turns that happened while the standby waited for a quiet moment.
    this.replay(conn, standby.replayed);
    const old = this.active?.conn;
    this.activate(standby.slot, ROTATION_PREFIX_MS);
    if (old) void old.close();
    this.call.record('realtime.rotated', { forced, replayed: this.history.length });
  }

  private onClose(slot: Slot, info: RealtimeCloseInfo): void {
    if (this.closed || info.requested) return;
    if (this.standby?.slot === slot) {
      this.standby = undefined;
      clearInterval(this.quietTimer);
      this.call.record('realtime.standby-lost', { code: info.code });
      this.scheduleRotation();
      return;
    }
    if (this.active !== slot) return;
    const duringReply = this.activeResponse !== undefined;
    this.abandonResponses();
    if (this.standby) {
      // The limit (or a drop) came before a quiet moment: switch now; an interrupted reply is asked for again.
      this.switchToStandby(true);
      if (duringReply) this.requestResponse(undefined);
      return;
    }
    void this.recover(info.error ?? new ProviderError('connection-lost', 'realtime connection lost'), duringReply);
  }

  /** The session's responses are gone: audio already queued plays on, items end where their audio ended. */
  private abandonResponses(): void {
    if (this.prebuffer) this.flushPrebuffer();
    for (const item of this.ledger.unfinished()) if (!item.closed) this.closeItem(item);
    this.activeResponse = undefined;
    this.pendingCreate = undefined;
    this.responses.clear();
  }

  private async recover(error: Error, duringReply: boolean): Promise<void> {
    const reconnect = this.o.reconnect ?? true;
    this.active = undefined;
    this.fail(error, 'mid-call', reconnect, duringReply);
    if (!reconnect) return;
    try {
      const slot = await this.openReplayed();
      if (!slot) return;
      this.activate(slot, RING_MS);
      this.call.record('realtime.reconnected', { replayed: this.history.length });
      // The caller was waiting for an answer: let the model pick the conversation up.
      if (duringReply) this.requestResponse(undefined);
    } catch (err) {
      if (!this.closed) this.fail(err, 'mid-call', false, duringReply);
    }
  }

  private fail(err: unknown, phase: RealtimeFailure['phase'], recovering: boolean, duringReply = false): void {
    const error = err instanceof Error ? err : new Error(String(err));
    const failure: RealtimeFailure = { kind: failureKind(err), error, phase, duringReply, recovering };
    this.call.record('realtime.failure', { kind: failure.kind, phase, duringReply, recovering, message: error.message });
    this.call.log.warn({ kind: failure.kind, phase, recovering, err: error.message }, 'realtime session failed');
    if (this.o.onFailure) {
      try {
        this.o.onFailure(failure, this.call);
      } catch (cbErr) {
        this.call.log.error({ err: cbErr }, 'realtime onFailure callback threw');
      }
    } else if (!recovering) {
      this.call.hangup('transfer', `realtime ${failure.kind}`);
    }
  }

  // ---- server events ------------------------------------------------------------------------

  private onEvent(slot: Slot, e: RealtimeServerEvent): void {
    if (this.closed || this.active !== slot) return;
    switch (e.type) {
      case 'input_audio_buffer.speech_started':
        return this.callerSpeechStarted('server');
      case 'input_audio_buffer.speech_stopped':
        return this.callerSpeechEnded('server');
      case 'input_audio_buffer.committed':
        return this.callerItem(e.item_id);
      case 'conversation.item.input_audio_transcription.completed':
        return this.callerTranscript(e.item_id, e.transcript);
      case 'response.created':
        return this.responseCreated(e.response.id ?? `local-${++this.markSeq}`);
      case 'response.output_item.added':
        if (e.item.type === 'function_call' && e.item.call_id && e.item.name) this.responses.get(e.response_id)?.callNames.set(e.item.call_id, e.item.name);
        return;
      case 'response.output_audio.delta':
        return this.audioDelta(e);
      case 'response.output_audio.done':
        return this.audioDone(e.item_id);
      case 'response.output_audio_transcript.delta':
        return this.transcriptDelta(e.item_id, e.delta);
      case 'response.output_audio_transcript.done':
        return this.transcriptDone(e.item_id, e.transcript);
      case 'response.function_call_arguments.done':
        return this.startTool(e);
      case 'response.done':
        return this.responseDone(e);
      case 'conversation.item.truncated':
        this.call.record('realtime.truncated', { itemId: e.item_id, audioEndMs: e.audio_end_ms });
        return;
      case 'error':
        return this.providerError(e);
      default:
        return;
    }
  }

  private providerError(e: ServerEventOf<'error'>): void {
    const code = e.error.code ?? 'error';
    // A cancel racing the response's natural end is expected.
    if (code === 'response_cancel_not_active') return;
    this.call.record('realtime.error', { code, message: e.error.message });
    this.call.log.warn({ code, message: e.error.message }, 'realtime error event');
  }

  // ---- caller turns -------------------------------------------------------------------------

  private callerSpeechStarted(source: 'server' | 'local'): void {
    if (this.callerSpeaking) return;
    this.callerSpeaking = true;
    this.callerStartedAt = Date.now();
    if (this.ending) return; // the goodbye plays out
    if (this.activeResponse !== undefined || this.prebuffer !== undefined || this.ledger.unfinished().length > 0) this.bargeIn(source);
  }

  private callerSpeechEnded(source: 'server' | 'local'): void {
    if (!this.callerSpeaking) return;
    this.callerSpeaking = false;
    this.callerEndedAt = Date.now();
    this.latency = { trigger: 'speech-end', at: performance.now(), delta: false, play: false, mark: false };
    this.call.record('realtime.speech-end', { source });
    if (source === 'local' && !this.ending) {
      this.active?.conn?.commitAudio();
      this.requestResponse(undefined);
    }
  }

  private callerItem(itemId: string): void {
    const seq = this.call.addTurn({ role: 'caller', text: '', startedAt: this.callerStartedAt || Date.now(), endedAt: this.callerEndedAt || Date.now() });
    this.turnOf.set(itemId, seq);
    const entry: HistoryEntry = { role: 'user', text: '' };
    this.history.push(entry);
    this.historyOf.set(itemId, entry);
  }

  private callerTranscript(itemId: string, text: string): void {
    const seq = this.turnOf.get(itemId);
    if (seq !== undefined) this.call.updateTurn(seq, { text });
    const entry = this.historyOf.get(itemId);
    if (entry) entry.text = text;
  }

  /** The caller talks over the bot: stop the audio, cancel the reply, tell the model what was heard. */
  private bargeIn(source: 'server' | 'local'): void {
    const conn = this.active?.conn;
    const playedMs = this.call.playedMs();
    const report: Array<{ itemId: string; heardMs: number; providerMs: number }> = [];
    if (this.ledger.unfinished().some((i) => i.startMs !== null)) this.call.clear();
    const response = this.activeResponse;
    if (response && !response.cancelled) {
      response.cancelled = true;
      conn?.cancelResponse(response.id);
    }
    for (const item of this.ledger.unfinished()) {
      const heardMs = Math.floor(this.ledger.heardMs(item, playedMs));
      if (item.closed && heardMs >= Math.floor(item.providerMs)) continue; // played out, its mark just not back yet
      report.push({ itemId: item.itemId, heardMs, providerMs: Math.round(item.providerMs) });
      conn?.truncate(item.itemId, item.contentIndex, heardMs);
      this.interrupted.add(item.itemId);
      const heardText = heardPrefix(item.transcript, item.providerMs > 0 ? heardMs / item.providerMs : 0);
      const seq = this.turnOf.get(item.itemId);
      if (seq !== undefined) this.call.updateTurn(seq, { text: item.transcript, interrupted: true, heardText, endedAt: Date.now() });
      const entry = this.historyOf.get(item.itemId);
      if (entry) entry.text = heardText;
    }
    this.prebuffer = undefined;
    this.decoder.reset();
    this.ledger.cleared(playedMs);
    this.call.record('barge-in', { source, playedMs: Math.round(playedMs), items: report });
  }

  // ---- responses ----------------------------------------------------------------------------

  /** response.create now, or once the response in progress is done (the API allows one at a time). */
  private requestResponse(params: Record<string, unknown> | undefined, closing = false): void {
    if (this.activeResponse !== undefined) {
      this.pendingCreate = { params, closing };
      return;
    }
    this.closingRequested = closing;
    if (!this.latency || this.latency.trigger !== 'speech-end' || this.latency.delta) {
      this.latency = { trigger: 'request', at: performance.now(), delta: false, play: false, mark: false };
    }
    this.active?.conn?.createResponse(params);
  }

  private responseCreated(id: string): void {
    const state: ResponseState = { id, items: [], callNames: new Map(), toolRuns: [], cancelled: false, closing: this.closingRequested };
    this.closingRequested = false;
    this.responses.set(id, state);
    this.activeResponse = state;
  }

  private audioDelta(e: ServerEventOf<'response.output_audio.delta'>): void {
    const response = this.responses.get(e.response_id);
    if (!response || response.cancelled || this.interrupted.has(e.item_id)) return; // in flight when we cancelled
    let item = this.ledger.get(e.item_id);
    if (!item) item = this.startItem(response, e.item_id, e.content_index);
    const { pcm, bytes } = this.decoder.decode(e.delta);
    item.providerMs += this.decoder.msOf(bytes);
    this.noteLatency('delta');
    if (this.prebuffer?.item === item) {
      this.prebuffer.chunks.push(pcm.slice());
      this.prebuffer.samples += pcm.length;
      if (this.prebuffer.samples >= this.frameSamples) this.flushPrebuffer();
      return;
    }
    this.play(item, pcm);
  }

  private startItem(response: ResponseState, itemId: string, contentIndex: number): LedgerItem {
    const item = this.ledger.add(itemId, contentIndex);
    response.items.push(item);
    this.turnOf.set(itemId, this.call.addTurn({ role: 'agent', text: '', startedAt: Date.now() }));
    const entry: HistoryEntry = { role: 'assistant', text: '' };
    this.history.push(entry);
    this.historyOf.set(itemId, entry);
    // Hold the start of each item until a whole outgoing frame is there: a short first delta would otherwise be
    // padded with silence by the media pacer (a gap right after the first syllable).
    this.prebuffer = { item, chunks: [], samples: 0 };
    return item;
  }

  private flushPrebuffer(): void {
    const pre = this.prebuffer;
    if (!pre) return;
    this.prebuffer = undefined;
    for (const chunk of pre.chunks) this.play(pre.item, chunk);
  }

  private play(item: LedgerItem, pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.ledger.queued(item, (pcm.length / this.rate) * 1000, this.call.playedMs());
    this.call.play(pcm);
    this.noteLatency('play');
  }

  private audioDone(itemId: string): void {
    const item = this.ledger.get(itemId);
    if (!item || item.closed || this.interrupted.has(itemId)) return;
    this.closeItem(item);
  }

  /** No more audio for this item: play what is held back, end it with a mark. */
  private closeItem(item: LedgerItem): void {
    if (this.prebuffer?.item === item) this.flushPrebuffer();
    this.play(item, this.decoder.finish());
    this.ledger.closed(item);
    if (item.startMs === null) {
      this.ledger.heardAll(item);
      return;
    }
    const name = `rt-${++this.markSeq}`;
    const marked = this.call.mark(name).then((result) => {
      this.markOf.delete(item);
      if (result.outcome !== 'played' && result.outcome !== 'timeout') return;
      this.ledger.heardAll(item);
      this.noteLatency('mark');
      const seq = this.turnOf.get(item.itemId);
      if (seq !== undefined && !this.interrupted.has(item.itemId)) this.call.updateTurn(seq, { endedAt: Date.now() });
      this.ledger.prune();
    });
    this.markOf.set(item, marked);
  }

  private transcriptDelta(itemId: string, delta: string): void {
    const item = this.ledger.get(itemId);
    if (!item || this.interrupted.has(itemId)) return;
    item.transcript += delta;
  }

  private transcriptDone(itemId: string, transcript: string): void {
    if (this.interrupted.has(itemId)) return;
    const item = this.ledger.get(itemId);
    if (item) item.transcript = transcript;
    const seq = this.turnOf.get(itemId);
    if (seq !== undefined) this.call.updateTurn(seq, { text: transcript });
    const entry = this.historyOf.get(itemId);
    if (entry) entry.text = transcript;
  }

  private noteLatency(stage: 'delta' | 'play' | 'mark'): void {
    const l = this.latency;
    if (!l || l[stage]) return;
    if (stage !== 'delta' && !l.delta) return;
    l[stage] = true;
    const type = stage === 'delta' ? 'realtime.first-delta' : stage === 'play' ? 'realtime.first-play' : 'realtime.first-mark';
    this.call.record(type, { trigger: l.trigger, sinceMs: Math.round((performance.now() - l.at) * 10) / 10 });
  }

  // ---- tools and the end of the call --------------------------------------------------------

  private startTool(e: ServerEventOf<'response.function_call_arguments.done'>): void {
    const response = this.responses.get(e.response_id);
    if (!response || response.cancelled) return;
    const name = e.name ?? response.callNames.get(e.call_id) ?? '';
    const started = performance.now();
    this.toolsRunning++;
    const run = this.runTool(name, e.arguments, e.call_id).then(
      (output) => ({ callId: e.call_id, name, output }),
      (err: unknown) => ({ callId: e.call_id, name, output: JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) }),
    );
    response.toolRuns.push(
      run.finally(() => {
        this.toolsRunning--;
        this.call.record('realtime.tool', { name, ms: Math.round(performance.now() - started) });
      }),
    );
  }

  private async runTool(name: string, rawArgs: string, callId: string): Promise<string> {
    let args: unknown;
    try {
      args = rawArgs ? JSON.parse(rawArgs) : {};
    } catch {
      return JSON.stringify({ error: 'arguments are not valid JSON' });
    }
    if ((name === 'end_call' || name === 'transfer') && !this.tools.has(name)) {
      const reason = typeof (args as { reason?: unknown })?.reason === 'string' ? (args as { reason: string }).reason : name;
      this.ending ??= { reason: name === 'end_call' ? 'bot-hangup' : 'transfer', detail: reason };
      return JSON.stringify({ ok: true });
    }
    const tool = this.tools.get(name);
    if (!tool) return JSON.stringify({ error: `unknown tool ${name}` });
    const timeout = AbortSignal.timeout(this.o.toolTimeoutMs ?? 10_000);
    const signal = AbortSignal.any([this.call.signal, timeout]);
    const result = await Promise.race([
      tool.run(args, { call: this.call, signal, callId }),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(timeout.aborted ? 'tool timed out' : 'call ended')), { once: true })),
    ]);
    return typeof result === 'string' ? result : JSON.stringify(result ?? null);
  }

  private responseDone(e: ServerEventOf<'response.done'>): void {
    const id = e.response.id ?? this.activeResponse?.id;
    const response = id ? this.responses.get(id) : undefined;
    if (response && this.activeResponse === response) this.activeResponse = undefined;
    if (e.response.status === 'failed' || e.response.status === 'incomplete') this.call.record('realtime.response-failed', { status: e.response.status, details: e.response.status_details });
    // Items without an output_audio.done (cancelled, failed) end here.
    for (const item of response?.items ?? []) if (!item.closed && !this.interrupted.has(item.itemId)) this.closeItem(item);
    if (response) this.responses.delete(response.id);
    if (response?.toolRuns.length) void this.finishTools(response);
    else if (response?.closing) void this.hangUpAfter(response);
    if (this.pendingCreate && this.activeResponse === undefined) {
      const next = this.pendingCreate;
      this.pendingCreate = undefined;
      this.requestResponse(next.params, next.closing);
    }
  }

  private async finishTools(response: ResponseState): Promise<void> {
    const conn = this.active?.conn;
    const outputs = await Promise.all(response.toolRuns);
    if (this.closed || this.active?.conn !== conn || !conn) return;
    for (const out of outputs) {
      conn.createItem({ type: 'function_call_output', call_id: out.callId, output: out.output });
      if (out.name !== 'end_call' && out.name !== 'transfer') this.history.push({ role: 'system', text: `Tool ${out.name} returned: ${out.output}` });
    }
    if (response.cancelled) return; // the caller spoke: their turn produces the next response
    if (!this.ending) {
      this.requestResponse(undefined);
      return;
    }
    // The last line: said in this response already, or asked for now.
    if (response.items.length > 0) void this.hangUpAfter(response);
    else this.requestResponse({ instructions: this.ending.reason === 'bot-hangup' ? GOODBYE_INSTRUCTIONS : HANDOVER_INSTRUCTIONS }, true);
  }

  /** Waits for the response's audio to play out (its marks), then ends the call. */
  private async hangUpAfter(response: ResponseState): Promise<void> {
    const ending = this.ending ?? { reason: 'bot-hangup' as const, detail: 'end_call' };
    await Promise.all(response.items.map((i) => this.markOf.get(i) ?? Promise.resolve()));
    if (this.closed) return;
    this.call.record('realtime.hangup', { reason: ending.reason, detail: ending.detail });
    this.call.hangup(ending.reason, ending.detail);
  }
}

/** An agent that hands each call to an OpenAI Realtime session. */
export function createRealtimeAgent(options: RealtimeAgentOptions): Agent {
  return {
    name: options.name ?? 'realtime',
    async start(call: CallControl): Promise<AgentSession> {
      const bridge = new RealtimeBridge(call, options);
      await bridge.init();
      return bridge;
    },
  };
}
