// Live-call control (POST /calls/:id/{hangup,transfer,say,agent}): what an operator can ask of a call in
// progress, and the bus that carries the request to the node that owns the call. Single-node mode answers from
// the local registry (LocalControlBus); the fleet's bus (src/fleet/redis-control-bus.ts) forwards to the owner
// over Redis.
import type { SayMode } from '../conversation/call-contract.js';
import type { SessionRegistry } from './session-registry.js';

/** What an operator can ask of a live call. */
export type LiveAction =
  | { kind: 'hangup' }
  /** Hand the caller to the flow's next applet, as the agent's own transfer does. */
  | { kind: 'transfer' }
  /** The call's voice speaks `text`: at once, cutting off what it is saying ('interrupt'), or after it ('queue'). */
  | { kind: 'say'; text: string; mode: SayMode }
  /** Switch the call to another agent of the catalog. */
  | { kind: 'agent'; agent: string };

/** The longest line `say` takes (about a minute of speech). */
export const SAY_TEXT_MAX_CHARS = 1000;

/**
 * How a request ended: 'accepted' when the owner took it (202), 'not-found' when no node has the call live (404;
 * `localOnly` when other nodes could not be asked), 'timeout' when the owner did not answer in time (503),
 * 'rejected' when the owner refused it (400 naming `field` for bad input such as an unknown agent, else 409:
 * e.g. a call already ending).
 */
export type ControlOutcome =
  | { status: 'accepted'; nodeId?: string }
  | { status: 'not-found'; localOnly?: boolean }
  | { status: 'timeout'; nodeId?: string }
  | { status: 'rejected'; reason: string; field?: string; nodeId?: string };

/** Who asked, for the call's timeline. */
export interface ControlOrigin {
  /** The node the request came in on. */
  node?: string;
  /** The client's address. */
  ip?: string;
}

/** What a call made of an action: taken, or refused and why. */
export type ControlVerdict = { ok: true } | { ok: false; reason: string; field?: string };

/** Carries an action to whichever node owns the call and reports what it did. */
export interface ControlBus {
  send(callId: string, action: LiveAction, origin?: ControlOrigin): Promise<ControlOutcome>;
}

/** The owner waits this long at most for an answer before the request is a 503. */
export const CONTROL_TIMEOUT_MS = 2000;

/** Applies actions to the calls of this node's registry. */
export class LocalControlBus implements ControlBus {
  constructor(
    private readonly registry: SessionRegistry,
    /** Named in the answers, so an operator sees which node acted. */
    readonly nodeId?: string,
  ) {}

  /** The call is live here. */
  has(callId: string): boolean {
    return this.registry.get(callId)?.control !== undefined;
  }

  async send(callId: string, action: LiveAction, origin: ControlOrigin = {}): Promise<ControlOutcome> {
    const session = this.registry.get(callId);
    if (!session?.control) return { status: 'not-found' };
    const verdict = session.control(action, { node: this.nodeId, ...origin });
    const nodeId = this.nodeId;
    if (verdict.ok) return { status: 'accepted', nodeId };
    return { status: 'rejected', reason: verdict.reason, ...(verdict.field ? { field: verdict.field } : {}), nodeId };
  }
}
