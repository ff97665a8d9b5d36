import type { Logger } from 'pino';
import type { AgentEndReason, AgentSession, EndReason } from '../conversation/call-contract.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { MediaPacer } from './media-pacer.js';
import type { SessionSocket } from './session-types.js';

const OPEN = 1;
const CLOSE_CODES: Partial<Record<EndReason, number>> = { flood: 1008, 'protocol-error': 1008, 'agent-error': 1011, shutdown: 1001 };

export interface EndingCall {
  socket: SessionSocket;
  log: Logger;
  metrics: GatewayMetrics;
  pacer?: MediaPacer;
  agentSession?: AgentSession;
  framesIn: number;
  bad: Record<string, number>;
  record(type: string, data?: Record<string, unknown>): void;
}

/**
 * The last steps of a call, after the session marked itself ended (so this runs once): stop the audio, tell the
 * agent, write the `end` event, close the socket. Each step is guarded on its own, so a failing one cannot keep
 * the others from running, and nothing throws out of here.
 */
export function finishCall(c: EndingCall, reason: EndReason, data: Record<string, unknown> | undefined, closeReason: string): void {
  const step = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      c.log.warn({ err }, 'call cleanup step failed');
    }
  };
  c.metrics.activeCalls--;
  c.metrics.callEnded(reason);
  const pacer = c.pacer;
  step(() => pacer?.close());
  const framesOut = pacer?.stats.framesOut ?? 0;
  if (pacer) {
    c.metrics.framesOut += framesOut;
    c.metrics.underruns += pacer.stats.underruns;
  }
  if (c.agentSession) releaseAgent(c.agentSession, reason, c.log);
  const ourClose = c.socket.readyState === OPEN;
  const closeCode = ourClose ? (CLOSE_CODES[reason] ?? 1000) : data?.code;
  const bad = Object.keys(c.bad).length ? c.bad : undefined;
  step(() => c.record('end', { reason, ...data, closeCode, closedBy: ourClose ? 'bot' : 'exotel', framesIn: c.framesIn, framesOut, bad }));
  c.log.info({ reason, framesIn: c.framesIn, framesOut, bad: c.bad }, 'call ended');
  if (ourClose) step(() => c.socket.close(closeCode as number, closeReason));
}

/** Tells an agent it leaves the call; what its cleanup throws or rejects is logged, never passed on. */
export function releaseAgent(session: AgentSession, reason: AgentEndReason, log: Logger): void {
  try {
    void Promise.resolve(session.onEnd?.(reason)).catch((err: unknown) => log.warn({ err }, 'agent cleanup failed'));
  } catch (err) {
    log.warn({ err }, 'agent cleanup failed');
  }
}
