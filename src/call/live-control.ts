// Live-call control (POST /calls/:id/{hangup,transfer,say,agent}): what an operator can ask of a call in
// progress, and the bus that carries the request to the node that owns the call. Single-node mode answers from
// the local registry; the fleet's bus (src/fleet/) forwards to the owner over Redis.

/** What an operator can ask of a live call. */
export type LiveAction =
  | { kind: 'hangup' }
  /** Hand the caller to the flow's next applet, as the agent's own transfer does. */
  | { kind: 'transfer' }
  /** The call's voice speaks `text`: at once, cutting off what it is saying ('interrupt'), or after it ('queue'). */
  | { kind: 'say'; text: string; mode: 'interrupt' | 'queue' }
  /** Switch the call to another agent of the catalog. */
  | { kind: 'agent'; agent: string };

/**
 * How a request ended: 'accepted' when the owner took it (202), 'not-found' when no node has the call live (404),
 * 'timeout' when the owner did not answer in time (503), 'rejected' when the owner refused it (409/400: e.g. an
 * unknown agent, a call already ending).
 */
export type ControlOutcome =
  | { status: 'accepted'; nodeId?: string }
  | { status: 'not-found' }
  | { status: 'timeout'; nodeId?: string }
  | { status: 'rejected'; reason: string; nodeId?: string };

/** Carries an action to whichever node owns the call and reports what it did. */
export interface ControlBus {
  send(callId: string, action: LiveAction): Promise<ControlOutcome>;
}

/** The owner waits this long at most for an answer before the request is a 503. */
export const CONTROL_TIMEOUT_MS = 2000;
