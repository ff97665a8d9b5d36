// Our call id → the row key and next turn seq, kept in memory for calls created or touched recently so
// that a media-path write costs no read; past `size` the oldest are evicted (only when nothing is
// pending: then a handle can be rebuilt exactly from the database, one indexed read).
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

  /** Throws CallNotFoundError for an id the database does not have. */
  resolve(id: string): Handle {
    const cached = this.handles.get(id);
    if (cached !== undefined) return cached;
    checkCallId(id);
    const handle = this.lookup(id);
    if (handle === undefined) throw new CallNotFoundError(id);
    this.handles.set(id, handle);
    return handle;
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
