import type { Agent, CallInfo } from '../conversation/call-contract.js';
import { checkId, logSafe } from '../exotel/identifiers.js';
import type { InboundMessage } from '../exotel/incoming-messages.js';
import type { SessionDeps, SessionInit } from './session-types.js';

type StartMessage = Extract<InboundMessage, { event: 'start' }>;

export type StartPlan =
  | { ok: false; refuse: 'invalid-stream-sid'; streamSid: string }
  | { ok: false; refuse: 'no-agent'; err: unknown }
  | {
      ok: true;
      /** Exotel's CallSid when usable as a key, else undefined (the URL's call_id or a generated id stands). */
      callSid?: string;
      agent: Agent;
      info: Omit<CallInfo, 'callId'>;
      /** Timeline events about the start itself (ignored or trimmed input). */
      events: Array<[string, Record<string, unknown>]>;
    };

/**
 * Works out a call from its `start` (or from nothing, when Exotel skipped it): identifiers checked, the agent
 * chosen. Pure: the session applies the plan. Throws only if `selectAgent` does, reported as `no-agent`.
 */
export function planStart(start: StartMessage | undefined, init: SessionInit, deps: SessionDeps): StartPlan {
  // An unusable stream_sid would go back out in every message we send: the stream is refused instead.
  if (start?.streamSid !== undefined && !checkId('streamSid', start.streamSid).ok) {
    return { ok: false, refuse: 'invalid-stream-sid', streamSid: logSafe(start.streamSid) };
  }
  const events: Array<[string, Record<string, unknown>]> = [];
  const callSid = start?.callSid !== undefined && checkId('callSid', start.callSid).ok ? start.callSid : undefined;
  if (start?.callSid !== undefined && !callSid) events.push(['invalid-call-sid', { callSid: logSafe(start.callSid) }]);
  if (start?.customParametersDropped) events.push(['custom-parameters-trimmed', { ...start.customParametersDropped }]);
  const details = init.details;
  const sampleRate = start?.sampleRate ?? init.sampleRate ?? deps.options.defaultSampleRate;
  const customParameters = start?.customParameters ?? {};
  const requested = init.agent ?? customParameters.agent ?? details?.agent;
  let agent: Agent;
  try {
    agent = deps.selectAgent({ requested, customField: details?.customField, to: start?.to ?? details?.to, customParameters });
  } catch (err) {
    return { ok: false, refuse: 'no-agent', err };
  }
  return {
    ok: true,
    callSid,
    agent,
    events,
    info: {
      streamSid: start?.streamSid,
      accountSid: start?.accountSid,
      from: start?.from ?? details?.from,
      to: start?.to ?? details?.to,
      direction: details?.direction,
      customField: details?.customField,
      customParameters,
      agentName: agent.name,
      sampleRate,
    },
  };
}
