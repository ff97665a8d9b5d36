// The provider sessions of one call: the first one (one retry), a standby opened before the provider's time limit
// and switched to at a quiet moment, and a new one when the live session drops. Every later session gets the
// conversation replayed as text and the caller's recent audio. A refused or lost session is reported (failure.ts).
import { ProviderError, isRetryable } from '../../../providers/errors.js';
import { connectRealtime, type RealtimeCloseInfo, type RealtimeConnection } from '../../../providers/realtime/openai-realtime.js';
import type { RealtimeServerEvent } from '../../../providers/realtime/realtime-events.js';
import type { RealtimeAudioFormat, RealtimeProtocol, RealtimeSessionConfig } from '../../../providers/realtime/realtime-session.js';
import type { ToolSpec } from '../../../providers/types.js';
import type { CallControl } from '../../../conversation/call-contract.js';
import { CallerAudio } from './caller-audio.js';
import { reportFailure } from './failure.js';
import { sessionConfig, type RealtimeAgentOptions } from './options.js';
import type { RealtimeTranscript } from './transcript.js';

/** Caller audio a rotated-to session gets: the start of a word said during the switch. */
const ROTATION_PREFIX_MS = 300;
const QUIET_POLL_MS = 50;
const STANDBY_RETRY_MS = 10_000;

/** What the sessions need from the rest of the bridge. */
export interface SessionHooks {
  /** A server event from the live session. */
  event(e: RealtimeServerEvent): void;
  /** The first session is up. */
  opened(): void;
  /** Nothing is being said, heard or waited for: a switch of sessions cannot be noticed. */
  quiet(): boolean;
  /** The live session went away: its responses are gone. True when the model was answering. */
  dropped(): boolean;
  /** A new session took over from one that dropped mid-reply: ask for the reply again. */
  resume(): void;
}

interface Slot {
  conn: RealtimeConnection | undefined;
}

export class RealtimeSessions {
  private readonly protocol: RealtimeProtocol;
  private readonly config: RealtimeSessionConfig;
  private readonly audio: CallerAudio;
  private active: Slot | undefined;
  private standby: { slot: Slot; replayed: number } | undefined;
  private preparing = false;
  private rotationTimer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly call: CallControl,
    private readonly o: RealtimeAgentOptions,
    private readonly transcript: RealtimeTranscript,
    private readonly hooks: SessionHooks,
    tools: ToolSpec[],
  ) {
    this.protocol = o.protocol ?? 'ga';
    this.config = sessionConfig(o, this.protocol, call.info.sampleRate, tools);
    this.audio = new CallerAudio(call.info.sampleRate, this.config.audioFormat);
  }

  /** The live session, if there is one right now. */
  get conn(): RealtimeConnection | undefined {
    return this.active?.conn;
  }

  /** The audio format the sessions speak (both ways). */
  get audioFormat(): RealtimeAudioFormat {
    return this.config.audioFormat;
  }

  /** The call ended. */
  get closed(): boolean {
    return this.ended;
  }

  start(): void {
    void this.openFirst();
  }

  /** The caller's audio, to the live session (and kept for the next one). */
  send(pcm: Int16Array): void {
    const bytes = this.audio.encode(pcm);
    this.active?.conn?.appendAudio(bytes);
  }

  /** The call ended: timers stop, every session closes. */
  close(): void {
    this.ended = true;
    clearTimeout(this.rotationTimer);
    clearInterval(this.quietTimer);
    void this.active?.conn?.close();
    void this.standby?.slot.conn?.close();
    this.active = undefined;
    this.standby = undefined;
  }

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
    conn.updateSession(this.config);
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
      if (this.ended) return;
      reportFailure(this.call, this.o, err, 'connect', false);
      return;
    }
    if (this.ended) {
      void conn.close();
      return;
    }
    this.call.record('realtime.connected', { ms: Math.round(performance.now() - started), protocol: this.protocol, format: this.config.audioFormat });
    this.activate(slot);
    this.hooks.opened();
  }

  /** Makes `slot` the live session: the caller's recent audio (`replayAudioMs`, else all kept) goes to it first, then everything new. */
  private activate(slot: Slot, replayAudioMs?: number): void {
    this.active = slot;
    const recent = this.audio.recent(replayAudioMs);
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

  /** A new session with the conversation so far replayed into it; undefined when the call ended meanwhile. */
  private async openReplayed(): Promise<Slot | undefined> {
    const slot: Slot = { conn: undefined };
    const conn = await this.connectWithRetry(slot);
    if (this.ended) {
      void conn.close();
      return undefined;
    }
    this.transcript.replay(conn, 0);
    return slot;
  }

  private async prepareStandby(): Promise<void> {
    if (this.ended || this.preparing || this.standby) return;
    this.preparing = true;
    try {
      const slot = await this.openReplayed();
      if (!slot) return;
      this.standby = { slot, replayed: this.transcript.length };
      this.call.record('realtime.standby-ready', { replayed: this.transcript.length });
      this.quietTimer = setInterval(() => this.switchIfQuiet(), QUIET_POLL_MS);
    } catch (err) {
      // The current session still works; try again a little later (it will be forced if the old one expires).
      this.call.record('realtime.standby-failed', { error: (err as Error).message });
      if (!this.ended) this.rotationTimer = setTimeout(() => void this.prepareStandby(), STANDBY_RETRY_MS);
    } finally {
      this.preparing = false;
    }
  }

  private switchIfQuiet(): void {
    if (this.ended || !this.standby) {
      clearInterval(this.quietTimer);
      return;
    }
    if (this.hooks.quiet()) this.switchToStandby(false);
  }

  private switchToStandby(forced: boolean): void {
    const standby = this.standby;
    if (!standby) return;
    clearInterval(this.quietTimer);
    this.standby = undefined;
    const conn = standby.slot.conn as RealtimeConnection;
    // Turns that happened while the standby waited for a quiet moment.
    this.transcript.replay(conn, standby.replayed);
    const old = this.active?.conn;
    this.activate(standby.slot, ROTATION_PREFIX_MS);
    if (old) void old.close();
    this.call.record('realtime.rotated', { forced, replayed: this.transcript.length });
  }

  private onEvent(slot: Slot, e: RealtimeServerEvent): void {
    if (this.ended || this.active !== slot) return;
    this.hooks.event(e);
  }

  private onClose(slot: Slot, info: RealtimeCloseInfo): void {
    if (this.ended || info.requested) return;
    if (this.standby?.slot === slot) {
      this.standby = undefined;
      clearInterval(this.quietTimer);
      this.call.record('realtime.standby-lost', { code: info.code });
      this.scheduleRotation();
      return;
    }
    if (this.active !== slot) return;
    const duringReply = this.hooks.dropped();
    if (this.standby) {
      // The limit (or a drop) came before a quiet moment: switch now; an interrupted reply is asked for again.
      this.switchToStandby(true);
      if (duringReply) this.hooks.resume();
      return;
    }
    void this.recover(info.error ?? new ProviderError('connection-lost', 'realtime connection lost'), duringReply);
  }

  private async recover(error: Error, duringReply: boolean): Promise<void> {
    const reconnect = this.o.reconnect ?? true;
    this.active = undefined;
    reportFailure(this.call, this.o, error, 'mid-call', reconnect, duringReply);
    if (!reconnect) return;
    try {
      const slot = await this.openReplayed();
      if (!slot) return;
      this.activate(slot);
      this.call.record('realtime.reconnected', { replayed: this.transcript.length });
      // The caller was waiting for an answer: let the model pick the conversation up.
      if (duringReply) this.hooks.resume();
    } catch (err) {
      if (!this.ended) reportFailure(this.call, this.o, err, 'mid-call', false, duringReply);
    }
  }
}
