// Our call id → the row key and next turn seq, kept in memory for calls created or touched recently so
// that a media-path write costs no read; past `size` the least recently used are evicted (only when nothing
// is pending: then a handle can be rebuilt exactly from the database, by `lookup` or by a read that sees it).
import { checkCallId } from './call-validation.js';
import { CallNotFoundError } from './errors.js';

export interface Handle {
  pk: number;
  nextTurnSeq: number;
}

export class CallHandles {
  private readonly handles = new Map<string, Handle>();

  constructor(
    private readonly lookup: (id: string) => Handle | undefined,
    private readonly size: number,
  ) {}

  set(id: string, pk: number): void {
    this.handles.set(id, { pk, nextTurnSeq: 0 });
  }

  /**
   * A read found the call (perhaps written by another process): keep its handle. The turn seq never moves
   * back: turns this store still has pending are not in what the read saw.
   */
  seen(id: string, pk: number, nextTurnSeq: number): void {
    const cached = this.handles.get(id);
    if (cached === undefined) this.handles.set(id, { pk, nextTurnSeq });
    else cached.nextTurnSeq = Math.max(cached.nextTurnSeq, nextTurnSeq);
  }

  /** Throws CallNotFoundError for an id the database does not have. */
  resolve(id: string): Handle {
    const cached = this.handles.get(id);
    if (cached !== undefined) {
      // Most recently used last, so that eviction takes the calls idle longest, not a long live call.
      this.handles.delete(id);
      this.handles.set(id, cached);
      return cached;
    }
    checkCallId(id);
    const handle = this.lookup(id);
    if (handle === undefined) throw new CallNotFoundError(id);
    this.handles.set(id, handle);
    return handle;
  }

  /** The call was deleted. */
  forget(id: string): void {
    this.handles.delete(id);
  }

  /** Call after a flush that left nothing pending. */
  evict(): void {
    let over = this.handles.size - this.size;
    for (const id of this.handles.keys()) {
      if (over-- <= 0) break;
      this.handles.delete(id);
    }
  }
}
