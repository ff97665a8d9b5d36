// Live-call control across the fleet: a request for a call this node does not hold goes to the node that does,
// over Redis pub/sub, and that node's answer comes back within CONTROL_TIMEOUT_MS or the request is a 503.
//
//   requester: GET exovoice:call-owner:<callId> -> PUBLISH exovoice:control:<owner> {requestId, callId, action, replyTo, origin}
//   owner:     SUBSCRIBE exovoice:control:<self> -> LocalControlBus -> PUBLISH exovoice:control-reply:<replyTo> {requestId, outcome}
//
// Pub/sub rather than streams: a request nobody hears in 2 s is answered 503 anyway, so there is nothing to keep.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { NODE_ID_PATTERN } from '../config/env.js';
import { redisKeys } from './redis-keys.js';
import { controlOutcomeSchema, liveActionSchema, nodeIdSchema } from '../call/live-control-schema.js';
import { CONTROL_TIMEOUT_MS, type ControlBus, type ControlOrigin, type ControlOutcome, type LiveAction, type LocalControlBus } from '../call/live-control.js';
import { isValidId } from '../exotel/identifiers.js';
import { tryParseBoundedJson } from '../limits/bounded-json.js';

const callOwnerKey = redisKeys.callOwner;
const requestChannel = redisKeys.controlRequests;
const replyChannel = redisKeys.controlReplies;

/** Control messages are small: a say line is at most 1000 characters. */
const MESSAGE_LIMITS = { maxBytes: 16 * 1024, maxDepth: 4, maxKeys: 16, maxItems: 0, maxStringLength: 8 * 1024 };

const requestSchema = z.object({
  requestId: z.string().min(1).max(64),
  callId: z.string().refine((v) => isValidId('callId', v)),
  action: liveActionSchema,
  replyTo: nodeIdSchema,
  origin: z.object({ node: nodeIdSchema.optional(), ip: z.string().max(64).optional() }).optional(),
});

const replySchema = z.object({ requestId: z.string().min(1).max(64), outcome: controlOutcomeSchema });

/** Where Redis failures go (the fleet's RedisHealth: one log line per outage, `/ready` degraded). */
export interface RedisFaults {
  fail(what: string, err: unknown): void;
  ok(): void;
}

export interface RedisControlBusOptions {
  /** For GET and PUBLISH (short time-outs, no offline queue). */
  redis: Redis;
  /** A connection of its own: a subscribed connection takes no other commands. */
  subscriber: Redis;
  nodeId: string;
  /** This node's calls. */
  local: LocalControlBus;
  log: Logger;
  /** Without it, the bus logs an outage itself, once. */
  faults?: RedisFaults;
  timeoutMs?: number;
}

interface Pending {
  owner: string;
  settle(outcome: ControlOutcome): void;
}

/** A ControlBus over Redis; node-local while Redis fails (calls held elsewhere are then a 404 that says so). */
export class RedisControlBus implements ControlBus {
  /** What the bus did, for tests and metrics: requests sent to and served for other nodes, and what went wrong. */
  readonly stats = { forwarded: 0, served: 0, timeouts: 0, lateReplies: 0, malformed: 0 };
  private readonly pending = new Map<string, Pending>();
  private readonly timeoutMs: number;
  private readonly faults: RedisFaults;
  private readonly onMessage = (channel: string, message: string) => this.received(channel, message);
  private readonly onReady = () => void this.subscribe();
  private closed = false;

  constructor(private readonly o: RedisControlBusOptions) {
    if (!NODE_ID_PATTERN.test(o.nodeId)) throw new Error(`node id "${o.nodeId}" must be 1-64 letters, digits, ".", "_" or "-"`);
    this.timeoutMs = o.timeoutMs ?? CONTROL_TIMEOUT_MS;
    this.faults = o.faults ?? outageLog(o.log);
  }

  /** Listens for this node's requests and replies; a Redis that is down now is subscribed to once it is back. */
  async start(): Promise<void> {
    const sub = this.o.subscriber;
    sub.on('message', this.onMessage);
    // ioredis re-subscribes after a reconnection only to what it had subscribed; a first attempt may have failed.
    sub.on('ready', this.onReady);
    if (sub.status === 'wait') await sub.connect().catch((err: unknown) => this.faults.fail('control subscribe', err));
    if (sub.status === 'ready') await this.subscribe();
  }

  async close(): Promise<void> {
    this.closed = true;
    const sub = this.o.subscriber;
    sub.off('message', this.onMessage);
    sub.off('ready', this.onReady);
    for (const p of [...this.pending.values()]) p.settle({ status: 'timeout', nodeId: p.owner });
    await sub.unsubscribe(requestChannel(this.o.nodeId), replyChannel(this.o.nodeId)).catch(() => undefined);
  }

  async send(callId: string, action: LiveAction, origin: ControlOrigin = {}): Promise<ControlOutcome> {
    const { local, redis } = this.o;
    if (local.has(callId)) return local.send(callId, action, origin);
    let owner: string | null;
    try {
      // Bounded here too, whatever the client's own command time-out: the route must answer.
      owner = await within(redis.get(callOwnerKey(callId)), this.timeoutMs);
      this.faults.ok();
    } catch (err) {
      this.faults.fail('control owner lookup', err);
      return { status: 'not-found', localOnly: true };
    }
    if (owner === null) return { status: 'not-found' };
    if (!NODE_ID_PATTERN.test(owner)) {
      this.stats.malformed++;
      return { status: 'not-found' };
    }
    // The owner key names this node when the call ended here a moment ago: the local registry is the truth.
    if (owner === this.o.nodeId) return local.send(callId, action, origin);
    return this.forward(owner, callId, action, origin);
  }

  private forward(owner: string, callId: string, action: LiveAction, origin: ControlOrigin): Promise<ControlOutcome> {
    const requestId = randomUUID();
    this.stats.forwarded++;
    const answer = new Promise<ControlOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.stats.timeouts++;
        settle({ status: 'timeout', nodeId: owner });
      }, this.timeoutMs);
      const settle = (outcome: ControlOutcome) => {
        if (!this.pending.delete(requestId)) return;
        clearTimeout(timer);
        resolve(outcome);
      };
      this.pending.set(requestId, { owner, settle });
    });
    const request = JSON.stringify({ requestId, callId, action, replyTo: this.o.nodeId, origin: { node: this.o.nodeId, ...origin } });
    this.o.redis.publish(requestChannel(owner), request).then(
      (receivers) => {
        this.faults.ok();
        // Nobody listens on the owner's channel: the node is gone and its owner key not expired yet.
        if (receivers === 0) this.pending.get(requestId)?.settle({ status: 'timeout', nodeId: owner });
      },
      (err: unknown) => {
        this.faults.fail('control publish', err);
        this.pending.get(requestId)?.settle({ status: 'timeout', nodeId: owner });
      },
    );
    return answer;
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.o.subscriber.subscribe(requestChannel(this.o.nodeId), replyChannel(this.o.nodeId));
    } catch (err) {
      this.faults.fail('control subscribe', err);
    }
  }

  private received(channel: string, message: string): void {
    if (channel === requestChannel(this.o.nodeId)) void this.serve(message);
    else if (channel === replyChannel(this.o.nodeId)) this.settle(message);
  }

  /** Another node's request for one of this node's calls: applied here, answered on the requester's channel. */
  private async serve(message: string): Promise<void> {
    const request = this.parse(message, requestSchema);
    if (!request) return;
    this.stats.served++;
    const outcome = await this.o.local.send(request.callId, request.action, request.origin ?? { node: request.replyTo });
    try {
      await this.o.redis.publish(replyChannel(request.replyTo), JSON.stringify({ requestId: request.requestId, outcome }));
    } catch (err) {
      this.faults.fail('control reply', err);
    }
  }

  private settle(message: string): void {
    const reply = this.parse(message, replySchema);
    if (!reply) return;
    const pending = this.pending.get(reply.requestId);
    // After a 503 the owner may still have acted: the answer came too late to tell the client.
    if (!pending) return void this.stats.lateReplies++;
    const outcome = reply.outcome;
    pending.settle(outcome.status === 'not-found' || outcome.nodeId ? outcome : { ...outcome, nodeId: pending.owner });
  }

  /** Another node's message, checked; anything else is counted and dropped. */
  private parse<T>(message: string, schema: z.ZodType<T>): T | undefined {
    const json = tryParseBoundedJson(message, MESSAGE_LIMITS);
    const parsed = json.ok ? schema.safeParse(json.value) : undefined;
    if (parsed?.success) return parsed.data;
    this.stats.malformed++;
    this.o.log.debug({ reason: json.ok ? 'schema' : json.error.reason }, 'ignoring a malformed control message');
    return undefined;
  }
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Logs the first failure of an outage and the recovery, nothing in between. */
function outageLog(log: Logger): RedisFaults {
  let since: number | undefined;
  return {
    fail(what, err) {
      if (since !== undefined) return;
      since = Date.now();
      log.warn({ what, error: err instanceof Error ? err.message : String(err) }, 'Redis unreachable: live-call control is node-local until it is back');
    },
    ok() {
      if (since === undefined) return;
      log.info({ downMs: Date.now() - since }, 'Redis reachable again: live-call control reaches the fleet');
      since = undefined;
    },
  };
}
