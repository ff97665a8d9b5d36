import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Agent, AgentEndReason, AgentSession, CallInfo, EndReason } from '../conversation/call-contract.js';
import { logSafe } from '../exotel/identifiers.js';
import type { InboundMessage } from '../exotel/incoming-messages.js';
import { runInCall, type CallScope } from '../observability/call-context.js';
import type { Scheduler } from '../clock/scheduler.js';
import { CallRecorder } from './call-recorder.js';
import { createCallMedia, type AgentAttachment, type CallMedia } from './call-control.js';
import { finishCall, releaseAgent } from './call-ending.js';
import { planStart } from './call-start.js';
import { InboundGate } from './inbound-gate.js';
import type { MediaPacer } from './media-pacer.js';
import type { ControlOrigin, ControlVerdict, LiveAction } from './live-control.js';
import type { LiveSession, SessionSnapshot } from './session-registry.js';
import type { SessionDeps, SessionInit, SessionSocket } from './session-types.js';

export { DEFAULT_SESSION_OPTIONS, type CallJournal, type SessionDeps, type SessionInit, type SessionOptions, type SessionSocket } from './session-types.js';

const OPEN = 1;
const BACKLOG_LIMIT = 250;

type StartMessage = Extract<InboundMessage, { event: 'start' }>;

/**
 * One media WebSocket: decodes Exotel's messages, owns the media pacer, hands audio, DTMF and marks to the
 * agent, and ends exactly once whatever ends the call.
 *
 * It is also the call's containment boundary: every entry into the call (socket events, the sweeper, pacer
 * timers, agent callbacks) runs through `guard`, which turns a throw into this call's end (`agent-error`, with
 * the message on record) and enters the call's scope, so faults that escape asynchronously (an agent's own
 * timer, an unhandled rejection) are attributed to this call by the process-level handlers.
 */
export class CallSession implements LiveSession, CallScope {
  callId: string;
  readonly openedAt = Date.now();
  state: SessionSnapshot['state'] = 'connected';
  framesIn = 0;
  bytesIn = 0;
  info?: CallInfo;
  endReason?: EndReason;

  private engine?: MediaPacer;
  /** Set while the call is recorded. */
  private recorder?: CallRecorder;
  private media?: CallMedia;
  private agentSession?: AgentSession;
  /** The current agent's handle on the call. */
  private attachment?: AgentAttachment;
  /** Messages that arrived while the agent was still starting; replayed in order. */
  private backlog: InboundMessage[] | undefined;
  private readonly abort = new AbortController();
  private lastMessageAt: number;
  private readonly openedAtTick: number;
  private readonly gate: InboundGate;
  private seenStart = false;
  private log: Logger;
  /** The server's scheduler, with every timer callback inside this call's boundary. */
  private readonly scheduler: Scheduler;

  constructor(
    private readonly socket: SessionSocket,
    private readonly init: SessionInit,
    private readonly deps: SessionDeps,
  ) {
    this.callId = init.callId ?? `anon-${randomBytes(8).toString('hex')}`;
    this.log = deps.log.child({ callId: this.callId });
    const base = deps.scheduler;
    this.scheduler = {
      now: () => base.now(),
      setTimer: (fn, ms) => base.setTimer(() => this.guard('timer', fn), ms),
      clearTimer: (h) => base.clearTimer(h),
    };
    this.openedAtTick = this.lastMessageAt = base.now();
    this.gate = new InboundGate(deps.options, this.openedAtTick, deps.metrics, () => this.log);
    const previous = deps.registry.get(this.callId);
    if (previous) {
      // Exotel reconnecting a call is the expected case; but without EXOTEL_WS_TOKEN any client that knows a live
      // call's call_id can take it over this way, so the operator hears of every takeover.
      const { durationMs, framesIn, state } = previous.snapshot(Date.now());
      this.log.warn({ previousDurationMs: durationMs, previousFramesIn: framesIn, previousState: state }, 'a new media socket replaced this live call');
      this.record('call-replaced', { previousDurationMs: durationMs, previousFramesIn: framesIn, previousState: state });
      previous.terminate('replaced');
    }
    deps.registry.add(this);
    deps.metrics.activeCalls++;
    deps.metrics.callsStarted.inc();
    this.record('ws-open', { sampleRate: init.sampleRate, agent: init.agent, webhook: Boolean(init.details) });
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  /**
   * Runs `fn` for this call: what it throws ends this call only, and what it starts (timers, promises) carries
   * the call's scope. Never throws.
   */
  guard(source: string, fn: () => void): void {
    try {
      runInCall(this, fn);
    } catch (err) {
      this.fail(err, source);
    }
  }

  /** A fault raised by this call's code: the call ends with `agent-error` and the message; others carry on. */
  fail(err: unknown, source: string): void {
    const message = err instanceof Error ? err.message : String(err);
    if (this.ended) {
      this.log.warn({ err, source }, 'fault in a call that already ended');
      return;
    }
    this.log.error({ err, source }, 'call failed');
    this.end('agent-error', { message: message.length > 500 ? `${message.slice(0, 500)}…` : message, source });
  }

  /** Entry point for every WebSocket message. Never throws. */
  onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    this.guard('message', () => this.handleMessage(data, isBinary));
  }

  /** The socket closed (by Exotel, the network, or after we closed it). */
  onClose(code: number): void {
    this.guard('socket', () => this.end('socket-closed', { code }));
  }

  onError(err: Error): void {
    this.guard('socket', () => {
      this.log.warn({ err }, 'socket error');
      this.end('socket-error', { message: err.message });
    });
  }

  /** Periodic check driven by the server's sweeper: start and idle time-outs. */
  checkTimeouts(now: number): void {
    if (this.ended) return;
    this.guard('timeout', () => {
      const { startTimeoutMs, idleTimeoutMs } = this.deps.options;
      if (!this.info && now - this.openedAtTick > startTimeoutMs) {
        this.deps.metrics.wsStartTimeouts++;
        this.end('timeout', { waitingFor: 'start' });
      } else if (now - this.lastMessageAt > idleTimeoutMs) {
        this.end('timeout', { waitingFor: 'media', silentMs: Math.round(now - this.lastMessageAt) });
      }
    });
  }

  terminate(reason: 'replaced' | 'shutdown'): void {
    this.guard('terminate', () => this.end(reason));
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

  private handleMessage(data: Buffer, isBinary: boolean): void {
    const now = this.scheduler.now();
    this.lastMessageAt = now;
    const msg = this.gate.accept(data, isBinary, now);
    if (msg === 'flood') this.end('flood', { dropped: this.gate.dropped });
    else if (msg) this.dispatch(msg);
  }

  private dispatch(msg: InboundMessage, replayed = false): void {
    // Recorded as it arrives, also while the agent starts (its backlog is replayed later, in a burst).
    if (msg.event === 'media' && this.recorder && !replayed && msg.payload.length > 0) {
      const pcm = new Int16Array(msg.payload.buffer, msg.payload.byteOffset, msg.payload.length >> 1);
      this.recording(() => this.recorder?.caller(pcm, this.scheduler.now()));
    }
    if (this.backlog) {
      if (this.backlog.length >= BACKLOG_LIMIT) return this.gate.count('backlog-overflow');
      this.backlog.push(msg.event === 'media' ? { ...msg, payload: Buffer.from(msg.payload) } : msg);
      return;
    }
    switch (msg.event) {
      case 'connected':
        return;
      case 'start':
        if (this.seenStart || this.info) return this.gate.count('duplicate-start');
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
        this.record('mark', { name: logSafe(msg.name, 128), known });
        return;
      }
      case 'stop': {
        const exotelReason = msg.reason === undefined ? undefined : logSafe(msg.reason, 64);
        this.record('stop', { reason: exotelReason });
        return this.end(msg.reason === 'callended' || msg.reason === undefined ? 'caller-hangup' : 'stream-stopped', { exotelReason });
      }
      case 'clear':
        return;
    }
  }

  private begin(start: StartMessage | undefined): void {
    const plan = planStart(start, this.init, this.deps);
    if (!plan.ok) {
      if (plan.refuse === 'invalid-stream-sid') {
        this.gate.count('invalid-stream-sid');
        return this.end('protocol-error', { message: 'invalid stream_sid', streamSid: plan.streamSid }, 'invalid stream_sid');
      }
      this.log.error({ err: plan.err }, 'no agent for call');
      return this.end('agent-error', { message: plan.err instanceof Error ? plan.err.message : String(plan.err) });
    }
    for (const [type, data] of plan.events) this.record(type, data);
    if (!this.init.callId && plan.callSid) this.adoptCallId(plan.callSid);
    const { agent, info } = plan;
    this.info = { callId: this.callId, ...info };
    this.state = 'streaming';
    const recordings = this.deps.recordings;
    if (recordings) this.recording(() => (this.recorder = new CallRecorder(recordings, info.sampleRate, this.scheduler.now())));
    const recorder = this.recorder;
    this.record('start', { streamSid: info.streamSid, exotelCallSid: plan.callSid, sampleRate: info.sampleRate, agent: agent.name, customParameters: info.customParameters });
    this.media = createCallMedia({
      info: this.info,
      log: this.log,
      signal: this.abort.signal,
      scheduler: this.scheduler,
      options: this.deps.options,
      send: (text) => this.send(text),
      metrics: this.deps.metrics,
      journal: this.deps.journal,
      callId: () => this.callId,
      record: (type, data) => this.record(type, data),
      hangup: (reason, data) => this.end(reason, data),
      ...(recorder
        ? {
            tap: {
              sent: (pcm, at) => this.recording(() => recorder.agent(pcm, at)),
              cleared: (at) => this.recording(() => recorder.cleared(at)),
            },
          }
        : {}),
    });
    this.engine = this.media.pacer;
    this.startAgent(agent);
  }

  /** Puts `agent` on the call; messages that arrive while it starts are kept and replayed in order. */
  private startAgent(agent: Agent): void {
    this.attachment = this.media!.attach(this.info!);
    let started: AgentSession | Promise<AgentSession>;
    try {
      started = agent.start(this.attachment.control);
    } catch (err) {
      return this.fail(err, 'agent');
    }
    if (!(started instanceof Promise)) return void (this.agentSession = started);
    this.backlog = [];
    started.then(
      (s) =>
        this.guard('agent', () => {
          const backlog = this.backlog ?? [];
          this.backlog = undefined;
          if (this.ended) return this.callAgent(() => s.onEnd?.(this.endReason as AgentEndReason));
          this.agentSession = s;
          for (const m of backlog) if (!this.ended) this.dispatch(m, true);
        }),
      (err) => this.fail(err, 'agent'),
    );
  }

  /** An operator's action (POST /calls/:id/...), recorded on the timeline as `control.<kind>`. Never throws. */
  control(action: LiveAction, origin: ControlOrigin): ControlVerdict {
    let verdict: ControlVerdict = { ok: false, reason: 'the call failed' };
    this.guard('control', () => {
      if (this.ended) return void (verdict = { ok: false, reason: 'the call has ended' });
      const { kind, ...what } = action;
      const summary = action.kind === 'say' ? { mode: action.mode, chars: action.text.length } : what;
      if (kind === 'hangup' || kind === 'transfer') {
        // Recorded first: the call's `end` follows it.
        this.record(`control.${kind}`, { ...summary, by: origin, outcome: 'accepted' });
        this.end(kind === 'hangup' ? 'bot-hangup' : 'transfer', { detail: 'operator' });
        return void (verdict = { ok: true });
      }
      verdict = kind === 'say' ? this.say(action.text, action.mode) : this.switchAgent(action.agent);
      this.record(`control.${kind}`, { ...summary, by: origin, outcome: verdict.ok ? 'accepted' : 'rejected', ...(verdict.ok ? {} : { reason: verdict.reason }) });
    });
    return verdict;
  }

  private say(text: string, mode: 'interrupt' | 'queue'): ControlVerdict {
    const session = this.agentSession;
    if (!session || !this.info) return { ok: false, reason: this.info ? 'the agent is still starting' : 'the call has not started streaming' };
    if (!session.say) return { ok: false, reason: `agent "${this.info.agentName}" cannot speak given text` };
    const refused = session.say(text, mode);
    return refused === undefined ? { ok: true } : { ok: false, reason: refused };
  }

  /**
   * Replaces the call's agent: the old one leaves (its audio cleared, its last turn kept to what was heard), the
   * new one starts as on a new call (it greets) but on this call's stream, without the old one's conversation.
   */
  private switchAgent(name: string): ControlVerdict {
    const info = this.info;
    if (!info || !this.media) return { ok: false, reason: 'the call has not started streaming' };
    if (!this.agentSession) return { ok: false, reason: 'the agent is still starting' };
    if (name === info.agentName) return { ok: false, reason: `the call already has agent "${name}"` };
    const agent = this.deps.findAgent?.(name);
    if (!agent) return { ok: false, reason: `unknown agent "${name}"`, field: 'agent' };
    const old = this.agentSession;
    const attachment = this.attachment!;
    this.agentSession = undefined;
    releaseAgent(old, 'agent-switch', this.log);
    attachment.control.clear();
    attachment.detach();
    this.info = { ...info, agentName: agent.name };
    this.record('agent-switch', { from: info.agentName, to: agent.name });
    this.startAgent(agent);
    return { ok: true };
  }

  private adoptCallId(callId: string): void {
    if (this.deps.registry.get(callId)) return; // keep the generated id rather than evict a live call
    this.deps.registry.remove(this);
    this.callId = callId;
    this.log = this.deps.log.child({ callId });
    this.deps.registry.add(this);
  }

  private send(text: string): void {
    if (this.socket.readyState === OPEN) this.socket.send(text);
  }

  /** Calls into the agent: a throw, or a rejected promise from an async handler, ends this call. */
  private callAgent(fn: () => unknown): void {
    const result = fn();
    if (result instanceof Promise) result.catch((err: unknown) => this.fail(err, 'agent'));
  }

  /** Recorder calls: a recorder bug stops the recording, never the call. */
  private recording(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.recorder?.discard();
      this.recorder = undefined;
      this.deps.recordings?.onFailure(err, 'bug');
    }
  }

  /** Completes the recording in the background: the call's end never waits on the disk. */
  private finishRecording(): void {
    const recorder = this.recorder;
    const recordings = this.deps.recordings;
    this.recorder = undefined;
    if (!recorder || !recordings) return;
    const callId = this.callId;
    const done = recorder
      .finish(this.scheduler.now(), () => recordings.recordId(callId))
      .then(
        (path) => {
          if (path) recordings.onSaved?.(recorder.bytes);
        },
        (err: unknown) => recordings.onFailure(err, 'finish'),
      )
      .finally(() => recordings.finishing?.delete(done));
    recordings.finishing?.add(done);
  }

  record(type: string, data?: Record<string, unknown>): void {
    this.deps.journal?.event(this.callId, type, data);
  }

  /** Ends the call once: stops audio, tells the agent, leaves the registry, closes the socket. */
  end(reason: EndReason, data?: Record<string, unknown>, closeReason: string = reason): void {
    if (this.ended) return;
    this.endReason = reason;
    this.state = 'ending';
    this.abort.abort();
    this.deps.registry.remove(this);
    const agentSession = this.agentSession;
    this.agentSession = undefined;
    this.finishRecording();
    finishCall(
      { socket: this.socket, log: this.log, metrics: this.deps.metrics, pacer: this.engine, agentSession, framesIn: this.framesIn, bad: this.gate.bad, record: (t, d) => this.record(t, d) },
      reason,
      data,
      closeReason,
    );
  }
}
