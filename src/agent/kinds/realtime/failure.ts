// A refused or lost session, as the agent's `onFailure` sees it: what kind of failure, recorded either way. Without
// a handler a failure the bridge does not recover from hands the call to the flow's next applet.
import { ProviderError } from '../../../providers/errors.js';
import type { CallControl } from '../../../conversation/call-contract.js';
import type { RealtimeAgentOptions, RealtimeFailure, RealtimeFailureKind } from './options.js';

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

export function reportFailure(
  call: CallControl,
  o: RealtimeAgentOptions,
  err: unknown,
  phase: RealtimeFailure['phase'],
  recovering: boolean,
  duringReply = false,
): void {
  const error = err instanceof Error ? err : new Error(String(err));
  const failure: RealtimeFailure = { kind: failureKind(err), error, phase, duringReply, recovering };
  call.record('realtime.failure', { kind: failure.kind, phase, duringReply, recovering, message: error.message });
  call.log.warn({ kind: failure.kind, phase, recovering, err: error.message }, 'realtime session failed');
  if (o.onFailure) {
    try {
      o.onFailure(failure, call);
    } catch (cbErr) {
      call.log.error({ err: cbErr }, 'realtime onFailure callback threw');
    }
  } else if (!recovering) {
    call.hangup('transfer', `realtime ${failure.kind}`);
  }
}
