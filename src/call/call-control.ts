import type { CallControl, CallInfo, EndReason, TranscriptTurnInput } from '../conversation/call-contract.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from 'pino';
import type { Scheduler } from '../clock/scheduler.js';
import { createMessageEncoder } from '../exotel/outgoing-messages.js';
import { MediaPacer, type PacerTap } from './media-pacer.js';
import type { CallJournal, SessionOptions } from './session-types.js';

export interface ControlHooks {
  /** The call as it starts (the pacer's rate and stream id); each agent gets its own `info` at `attach`. */
  info: CallInfo;
  log: Logger;
  signal: AbortSignal;
  scheduler: Scheduler;
  options: Pick<SessionOptions, 'leadMs' | 'markTimeoutMs'>;
  /** Sends one message to Exotel (if the socket is still open). */
  send(text: string): void;
  metrics: GatewayMetrics;
  journal?: CallJournal;
  /** The call id now (it may change once, when `start` names the CallSid). */
  callId(): string;
  record(type: string, data?: Record<string, unknown>): void;
  hangup(reason: EndReason, data?: Record<string, unknown>): void;
  /** The call's recorder, when it is recorded. */
  tap?: PacerTap;
}

/** One agent's handle on the call, until it is detached (the call switched to another agent). */
export interface AgentAttachment {
  control: CallControl;
  /** From now on the agent can no longer play, clear or end the call, and its `signal` is aborted. */
  detach(): void;
}

export interface CallMedia {
  pacer: MediaPacer;
  /** A handle on the call for the agent named in `info`. */
  attach(info: CallInfo): AgentAttachment;
}

/**
 * The bridge between an agent and Exotel: a media pacer for the call's outgoing audio, and the agent's handle on
 * the call (audio and marks go to the pacer, the rest to the journal and metrics).
 */
export function createCallMedia(h: ControlHooks): CallMedia {
  const { metrics } = h;
  const pacer = new MediaPacer({
    sampleRate: h.info.sampleRate,
    encoder: createMessageEncoder(h.info.streamSid),
    scheduler: h.scheduler,
    leadMs: h.options.leadMs,
    markTimeoutMs: h.options.markTimeoutMs,
    send: h.send,
    tap: h.tap,
  });
  const control: CallControl = {
    info: h.info,
    log: h.log,
    signal: h.signal,
    play: (pcm) => pacer.play(pcm),
    flush: () => pacer.flush(),
    mark: (name) => pacer.mark(name),
    clear: () => {
      pacer.clear();
      h.record('clear', { playedMs: Math.round(pacer.playedMs()) });
    },
    playedMs: () => pacer.playedMs(),
    hangup: (reason, detail) => h.hangup(reason, detail ? { detail } : undefined),
    record: (type, data) => h.record(type, data),
    addTurn: (turn: TranscriptTurnInput) => h.journal?.addTurn(h.callId(), turn) ?? -1,
    updateTurn: (seq, patch) => h.journal?.updateTurn(h.callId(), seq, patch),
    countProviderFailure: (provider, code) => metrics.providerFailures.inc({ provider, code }),
    observeLatency: (stage, ms) => {
      if (Number.isFinite(ms) && ms >= 0) metrics.turnLatency.observe({ stage }, ms / 1000);
    },
  };
  return { pacer, attach: (info) => attachAgent(control, info) };
}

/**
 * The call's control for one agent: an agent switched away may still have a timer or a synthesis in flight, and
 * must not play over, clear or end the call of the agent that replaced it. Timeline and transcript writes stay
 * open (its last turn is amended with what was heard).
 */
function attachAgent(call: CallControl, info: CallInfo): AgentAttachment {
  const own = new AbortController();
  const end = () => own.abort();
  call.signal.addEventListener('abort', end, { once: true });
  const attached = () => !own.signal.aborted;
  const control: CallControl = {
    ...call,
    info,
    signal: own.signal,
    play: (pcm) => {
      if (attached()) call.play(pcm);
    },
    flush: () => {
      if (attached()) call.flush();
    },
    mark: (name) => (attached() ? call.mark(name) : Promise.resolve({ name, outcome: 'closed', positionMs: call.playedMs() })),
    clear: () => {
      if (attached()) call.clear();
    },
    hangup: (reason, detail) => {
      if (attached()) call.hangup(reason, detail);
    },
  };
  return {
    control,
    detach: () => {
      call.signal.removeEventListener('abort', end);
      end();
    },
  };
}
