/** Token bucket per call: a flooding peer loses its excess messages, and the socket if it keeps going. */
export class FloodGuard {
  private tokens: number;
  private tokensAt: number;
  dropped = 0;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.tokensAt = now;
  }

  /** 'ok' to take the message, 'drop' to lose it, 'close' once the peer has kept flooding for 4 bursts. */
  take(now: number): 'ok' | 'drop' | 'close' {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.tokensAt) * this.ratePerSec) / 1000);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    return ++this.dropped >= this.burst * 4 ? 'close' : 'drop';
  }
}
