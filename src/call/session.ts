import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Agent, AgentSession, CallControl, CallInfo, EndReason, TranscriptTurnInput } from '../conversation/call-contract.js';
import { createParseScratch, parseInbound, type InboundMessage, type ParseScratch } from '../exotel/incoming-messages.js';
import { createMessageEncoder } from '../exotel/outgoing-messages.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { CallDetails } from './call-details.js';
import { MediaPacer } from './media-pacer.js';
import type { Scheduler } from '../clock/scheduler.js';
import type { LiveSession, SessionRegistry, SessionSnapshot } from './session-registry.js';

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
  /** Close a socket that has sent neither `start` nor media by then. */
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
  journal?: CallJournal;
  options: SessionOptions;
}

export interface SessionInit {
  /** `call_id` from the WebSocket URL. */
  callId?: string;
  /** `sample-rate` from the WebSocket URL. */
  sampleRate?: number;
  /** `agent` from the WebSocket URL. */
  agent?: string;
  /** What the webhook learnt about this call, if it came first. */
  details?: CallDetails;
}

const OPEN = 1;
const BACKLOG_LIMIT = 250;

/**
 * One media WebSocket: decodes Exotel's messages, owns the media pacer, hands audio, DTMF and marks to the
 * agent, and ends exactly once whatever ends the call. Failures stay inside the call.
 */
export class CallSession implements LiveSession {
  callId: string;
  readonly openedAt = Date.now();
  state: SessionSnapshot['state'] = 'connected';
  framesIn = 0;
  bytesIn = 0;
  readonly bad: Record<string, number> = {};
  info?: CallInfo;
  endReason?: EndReason;

  private readonly scratch: ParseScratch = createParseScratch();
  private engine?: MediaPacer;
  private agentSession?: AgentSession;
  /** Messages that arrived while the agent was still starting; replayed in order. */
  private backlog: InboundMessage[] | undefined;
  private readonly abort = new AbortController();
  private lastMessageAt: number;
  private readonly openedAtTick: number;
  private tokens: number;
  private tokensAt: number;
  private dropped = 0;
  private seenStart = false;
  private log: Logger;

  constructor(
    private readonly socket: SessionSocket,
    private readonly init: SessionInit,
    private readonly deps: SessionDeps,
  ) {
    this.callId = init.callId ?? `anon-${randomBytes(8).toString('hex')}`;
    this.log = deps.log.child({ callId: this.callId });
    this.openedAtTick = this.lastMessageAt = this.tokensAt = deps.scheduler.now();
    this.tokens = deps.options.floodBurst;
    const previous = deps.registry.get(this.callId);
    if (previous) previous.terminate('replaced');
    deps.registry.add(this);
    deps.metrics.activeCalls++;
    deps.metrics.callsStarted.inc();
    this.record('ws-open', { sampleRate: init.sampleRate, agent: init.agent, webhook: Boolean(init.details) });
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  /** Entry point for every WebSocket message. Never throws. */
  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    const now = this.deps.scheduler.now();
    this.lastMessageAt = now;
    if (!this.takeToken(now)) return;
    const parsed = parseInbound(data, isBinary, this.scratch);
    if (!parsed.ok) {
      this.countBad(parsed.reason);
      if (this.bad[parsed.reason] <= 3) this.log.warn({ reason: parsed.reason, detail: parsed.detail }, 'bad message from Exotel');
      return;
    }
    if (parsed.warning) this.countBad(parsed.warning);
    this.dispatch(parsed.msg);
  }

  /** The socket closed (by Exotel, the network, or after we closed it). */
  onClose(code: number): void {
    this.end('socket-closed', { code });
  }

  onError(err: Error): void {
    this.log.warn({ err }, 'socket error');
    this.end('socket-error', { message: err.message });
  }

  /** Periodic check driven by the server's sweeper: start and idle time-outs. */
  checkTimeouts(now: number): void {
    if (this.ended) return;
    const { startTimeoutMs, idleTimeoutMs } = this.deps.options;
    if (!this.info && now - this.openedAtTick > startTimeoutMs) this.end('timeout', { waitingFor: 'start' });
    else if (now - this.lastMessageAt > idleTimeoutMs) this.end('timeout', { waitingFor: 'media', silentMs: Math.round(now - this.lastMessageAt) });
  }

  terminate(reason: 'replaced' | 'shutdown'): void {
    this.end(reason);
  }

  snapshot(now: number): SessionSnapshot {
    return {
      callId: this.callId,
      streamSid: this.info?.streamSid,
      from: this.info?.from ?? this.init.details?.from,
      to: this.info?.to ?? this.init.details?.to,
      direction: this.info?.direction ?? this.init.details?.direction,
      agent: this.info?.agentName,
      sampleRate: this.info?.sampleRate ?? this.init.sampleRate ?? this.deps.options.defaultSampleRate,
      startedAt: new Date(this.openedAt).toISOString(),
      durationMs: now - this.openedAt,
      framesIn: this.framesIn,
      framesOut: this.engine?.stats.framesOut ?? 0,
      state: this.state,
    };
  }

  get mediaStats() {
    return this.engine?.stats;
  }

  private dispatch(msg: InboundMessage): void {
    if (this.backlog) {
      if (this.backlog.length >= BACKLOG_LIMIT) return this.countBad('backlog-overflow');
      this.backlog.push(msg.event === 'media' ? { ...msg, payload: Buffer.from(msg.payload) } : msg);
      return;
    }
    switch (msg.event) {
      case 'connected':
        return;
      case 'start':
        if (this.seenStart || this.info) {
          this.countBad('duplicate-start');
          return;
        }
        this.seenStart = true;
        return this.begin(msg);
      case 'media':
        if (!this.info) {
          this.record('media-before-start');
          this.begin(undefined);
          if (this.backlog) return this.dispatch(msg);
        }
        this.framesIn++;
        this.bytesIn += msg.payload.length;
        this.deps.metrics.framesIn++;
        if (msg.payload.length === 0) return;
        this.callAgent(() =>
          this.agentSession?.onAudio(new Int16Array(msg.payload.buffer, msg.payload.byteOffset, msg.payload.length >> 1), msg.timestampMs),
        );
        return;
      case 'dtmf':
        this.record('dtmf', { digit: msg.digit, durationMs: msg.durationMs });
        this.callAgent(() => this.agentSession?.onDtmf?.(msg.digit, msg.durationMs));
        return;
      case 'mark': {
        const known = this.engine?.onMarkEcho(msg.name) ?? false;
        this.record('mark', { name: msg.name, known });
        return;
      }
      case 'stop':
        this.record('stop', { reason: msg.reason });
        this.end(msg.reason === 'callended' || msg.reason === undefined ? 'caller-hangup' : 'stream-stopped', {
          exotelReason: msg.reason,
        });
        return;
      case 'clear':
        return;
    }
  }

  private begin(start: Extract<InboundMessage, { event: 'start' }> | undefined): void {
    const details = this.init.details;
    if (!this.init.callId && start?.callSid) this.adoptCallId(start.callSid);
    const sampleRate = start?.sampleRate ?? this.init.sampleRate ?? this.deps.options.defaultSampleRate;
    const customParameters = start?.customParameters ?? {};
    const requested = this.init.agent ?? customParameters.agent ?? details?.agent;
    let agent: Agent;
    try {
      agent = this.deps.selectAgent({ requested, customField: details?.customField, to: start?.to ?? details?.to, customParameters });
    } catch (err) {
      this.log.error({ err }, 'no agent for call');
      this.end('agent-error', { message: (err as Error).message });
      return;
    }
    this.info = {
      callId: this.callId,
      streamSid: start?.streamSid,
      accountSid: start?.accountSid,
      from: start?.from ?? details?.from,
      to: start?.to ?? details?.to,
      direction: details?.direction,
      customField: details?.customField,
      customParameters,
      agentName: agent.name,
      sampleRate,
    };
    this.state = 'streaming';
    this.record('start', {
      streamSid: start?.streamSid,
      exotelCallSid: start?.callSid,
      sampleRate,
      agent: agent.name,
      customParameters,
    });
    const encoder = createMessageEncoder(start?.streamSid);
    this.engine = new MediaPacer({
      sampleRate,
      encoder,
      scheduler: this.deps.scheduler,
      leadMs: this.deps.options.leadMs,
      markTimeoutMs: this.deps.options.markTimeoutMs,
      send: (text) => this.send(text),
    });
    let started: AgentSession | Promise<AgentSession>;
    try {
      started = agent.start(this.control());
    } catch (err) {
      return this.agentFailed(err);
    }
    if (!(started instanceof Promise)) {
      this.agentSession = started;
      return;
    }
    this.backlog = [];
    started.then(
      (s) => {
        const backlog = this.backlog ?? [];
        this.backlog = undefined;
        if (this.ended) {
          void s.onEnd?.(this.endReason!);
          return;
        }
        this.agentSession = s;
        for (const m of backlog) if (!this.ended) this.dispatch(m);
      },
      (err) => this.agentFailed(err),
    );
  }

  private adoptCallId(callId: string): void {
    if (this.deps.registry.get(callId)) return; // keep the generated id rather than evict a live call
    this.deps.registry.remove(this);
    this.callId = callId;
    this.log = this.deps.log.child({ callId });
    this.deps.registry.add(this);
  }

  private control(): CallControl {
    const engine = this.engine!;
    return {
      info: this.info!,
      log: this.log,
      signal: this.abort.signal,
      play: (pcm) => engine.play(pcm),
      flush: () => engine.flush(),
      mark: (name) => engine.mark(name),
      clear: () => {
        engine.clear();
        this.record('clear', { playedMs: Math.round(engine.playedMs()) });
      },
      playedMs: () => engine.playedMs(),
      hangup: (reason, detail) => this.end(reason, detail ? { detail } : undefined),
      record: (type, data) => this.record(type, data),
      addTurn: (turn) => this.deps.journal?.addTurn(this.callId, turn) ?? -1,
      updateTurn: (seq, patch) => this.deps.journal?.updateTurn(this.callId, seq, patch),
      countProviderFailure: (provider, code) => this.deps.metrics.providerFailures.inc({ provider, code }),
      observeLatency: (stage, ms) => {
        if (Number.isFinite(ms) && ms >= 0) this.deps.metrics.turnLatency.observe({ stage }, ms / 1000);
      },
    };
  }

  private send(text: string): void {
    if (this.socket.readyState === OPEN) this.socket.send(text);
  }

  private callAgent(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.agentFailed(err);
    }
  }

  private agentFailed(err: unknown): void {
    this.log.error({ err }, 'agent failed');
    this.end('agent-error', { message: err instanceof Error ? err.message : String(err) });
  }

  private countBad(reason: string): void {
    this.bad[reason] = (this.bad[reason] ?? 0) + 1;
    this.deps.metrics.badMessage(reason);
  }

  /** Token bucket: a flooding peer loses its excess messages, and the socket if it keeps going. */
  private takeToken(now: number): boolean {
    const { floodRatePerSec, floodBurst } = this.deps.options;
    this.tokens = Math.min(floodBurst, this.tokens + ((now - this.tokensAt) * floodRatePerSec) / 1000);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.countBad('flood');
    if (++this.dropped >= floodBurst * 4) this.end('flood', { dropped: this.dropped });
    return false;
  }

  record(type: string, data?: Record<string, unknown>): void {
    this.deps.journal?.event(this.callId, type, data);
  }

  /** Ends the call once: stops audio, tells the agent, leaves the registry, closes the socket. */
  end(reason: EndReason, data?: Record<string, unknown>): void {
    if (this.ended) return;
    this.endReason = reason;
    this.state = 'ending';
    this.engine?.close();
    this.abort.abort();
    this.deps.registry.remove(this);
    this.deps.metrics.activeCalls--;
    this.deps.metrics.callEnded(reason);
    if (this.engine) {
      this.deps.metrics.framesOut += this.engine.stats.framesOut;
      this.deps.metrics.underruns += this.engine.stats.underruns;
    }
    const agentSession = this.agentSession;
    this.agentSession = undefined;
    if (agentSession?.onEnd) {
      try {
        void Promise.resolve(agentSession.onEnd(reason)).catch((err) => this.log.warn({ err }, 'agent cleanup failed'));
      } catch (err) {
        this.log.warn({ err }, 'agent cleanup failed');
      }
    }
    const ourClose = this.socket.readyState === OPEN;
    const closeCode = ourClose ? (reason === 'flood' ? 1008 : reason === 'agent-error' ? 1011 : reason === 'shutdown' ? 1001 : 1000) : data?.code;
    this.record('end', {
      reason,
      ...data,
      closeCode,
      closedBy: ourClose ? 'bot' : 'exotel',
      framesIn: this.framesIn,
      framesOut: this.engine?.stats.framesOut ?? 0,
      bad: Object.keys(this.bad).length ? this.bad : undefined,
    });
    this.log.info({ reason, framesIn: this.framesIn, framesOut: this.engine?.stats.framesOut ?? 0, bad: this.bad }, 'call ended');
    if (ourClose) this.socket.close(closeCode as number, reason);
  }
}
