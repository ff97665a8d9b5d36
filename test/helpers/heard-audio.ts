import type { SimulatedCall } from '../../src/sim/index.js';
import { TICK_MS } from '../../src/sim/playout.js';

/** The next bot reply the caller hears after `afterMs`: playout start to the end of that reply. */
export async function nextReply(call: SimulatedCall, afterMs: number): Promise<{ startMs: number; endMs: number }> {
  const started = await call.waitFor('playoutStarted', { predicate: (e) => e.atMs >= afterMs, timeoutMs: 15_000 });
  const idle = await call.waitFor('playoutIdle', { predicate: (e) => e.atMs > started.atMs && e.endOfReply, timeoutMs: 20_000 });
  return { startMs: started.atMs, endMs: idle.atMs };
}

/** Ms of tone the caller heard in [fromMs, toMs): 20 ms playout ticks with energy. */
export function heardToneMs(call: SimulatedCall, fromMs: number, toMs: number): number {
  const { playedAudio, sampleRate } = call.report();
  const tick = (sampleRate * TICK_MS) / 1000;
  let ms = 0;
  for (let k = Math.floor(fromMs / TICK_MS); k < Math.ceil(toMs / TICK_MS); k++) {
    let e = 0;
    for (let i = k * tick; i < (k + 1) * tick && i < playedAudio.length; i++) e += playedAudio[i] * playedAudio[i];
    if (Math.sqrt(e / tick) > 1000) ms += TICK_MS;
  }
  return ms;
}
