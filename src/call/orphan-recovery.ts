import type { CallStore } from '../store/call-store.js';

/**
 * Inbound calls that were live when the previous process died (crash, kill -9) can never end by themselves:
 * close them at start-up, marked as lost. Outbound calls are left open: Exotel's status callback or the status
 * refresher settles them. Returns how many were closed.
 */
export async function closeOrphanedCalls(store: CallStore, now = Date.now()): Promise<number> {
  let closed = 0;
  for (const status of ['ringing', 'in-progress'] as const) {
    let cursor: string | undefined;
    do {
      const page = await store.list({ status, direction: 'inbound', to: new Date(now), limit: 200, ...(cursor ? { cursor } : {}) });
      for (const call of page.items) {
        store.appendEvent(call.id, { type: 'orphaned', at: now, data: { reason: 'the server stopped while the call was live' } });
        store.update(call.id, { endedAt: now, endReason: 'error', status: 'completed' });
        closed++;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  await store.flush();
  return closed;
}
