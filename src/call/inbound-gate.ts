import type { Logger } from 'pino';
import { createParseScratch, parseInbound, type InboundMessage, type ParseScratch } from '../exotel/incoming-messages.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { FloodGuard } from './flood-guard.js';
import type { SessionOptions } from './session-types.js';

/**
 * Between the socket and the session: rate-limits, decodes and counts what is wrong, so the session only
 * sees messages worth dispatching. Reasons counted here are a fixed set (they become metric labels).
 */
export class InboundGate {
  readonly bad: Record<string, number> = {};
  private readonly scratch: ParseScratch = createParseScratch();
  private readonly flood: FloodGuard;

  constructor(
    options: Pick<SessionOptions, 'floodRatePerSec' | 'floodBurst'>,
    now: number,
    private readonly metrics: GatewayMetrics,
    private readonly log: () => Logger,
  ) {
    this.flood = new FloodGuard(options.floodRatePerSec, options.floodBurst, now);
  }

  get dropped(): number {
    return this.flood.dropped;
  }

  /** The message to dispatch; undefined when it was dropped; 'flood' once the peer has flooded for too long. */
  accept(data: Buffer, isBinary: boolean, now: number): InboundMessage | undefined | 'flood' {
    const flood = this.flood.take(now);
    if (flood !== 'ok') {
      this.count('flood');
      return flood === 'close' ? 'flood' : undefined;
    }
    const parsed = parseInbound(data, isBinary, this.scratch);
    if (!parsed.ok) {
      this.count(parsed.reason);
      if (this.bad[parsed.reason]! <= 3) this.log().warn({ reason: parsed.reason, detail: parsed.detail }, 'bad message from Exotel');
      return undefined;
    }
    if (parsed.warning) this.count(parsed.warning);
    return parsed.msg;
  }

  count(reason: string): void {
    this.bad[reason] = (this.bad[reason] ?? 0) + 1;
    this.metrics.badMessage(reason);
  }
}
