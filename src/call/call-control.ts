import type { CallControl, CallInfo, EndReason, TranscriptTurnInput } from '../conversation/call-contract.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from 'pino';
import type { Scheduler } from '../clock/scheduler.js';
import { createMessageEncoder } from '../exotel/outgoing-messages.js';
import { MediaPacer } from './media-pacer.js';
import type { CallJournal, SessionOptions } from './session-types.js';

export interface ControlHooks {
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
}

/**
 * The bridge between an agent and Exotel: a media pacer for the call's outgoing audio, and the agent's handle on
 * the call (audio and marks go to the pacer, the rest to the journal and metrics).
 */
export function createCallMedia(h: ControlHooks): { pacer: MediaPacer; control: CallControl } {
  const { metrics } = h;
  const pacer = new MediaPacer({
    sampleRate: h.info.sampleRate,
    encoder: createMessageEncoder(h.info.streamSid),
    scheduler: h.scheduler,
    leadMs: h.options.leadMs,
    markTimeoutMs: h.options.markTimeoutMs,
    send: h.send,
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
  return { pacer, control };
}
