// The system under evaluation: the real gateway with the shipped agents (front-desk answers by default), on
// loopback, in this process. Its call journal keeps every call's timeline and transcript in memory, in the shape
// of the call record the script runner reads (GET /calls/:id), so no store or admin API is needed.
import { createBuiltinAgents, prepareAgents } from '../../src/agent/assembly/build-catalog.js';
import type { CallJournal } from '../../src/call/session.js';
import { loadConfig } from '../../src/config/env.js';
import type { CmnMode } from '../../src/providers/stt/pocketsphinx.js';
import { buildGateway, type Gateway } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ScriptCallRecord } from '../../src/sim/script-runner.js';

class MemoryJournal implements CallJournal {
  readonly calls = new Map<string, ScriptCallRecord>();

  #call(callId: string): ScriptCallRecord {
    let c = this.calls.get(callId);
    if (!c) this.calls.set(callId, (c = { events: [], transcript: [] }));
    return c;
  }

  event(callId: string, type: string, data: Record<string, unknown> = {}): void {
    this.#call(callId).events.push({ type, data });
  }

  addTurn(callId: string, turn: ScriptCallRecord['transcript'][number]): number {
    const t = this.#call(callId).transcript;
    t.push({ role: turn.role, text: turn.text });
    return t.length - 1;
  }

  updateTurn(callId: string, seq: number, patch: Partial<ScriptCallRecord['transcript'][number]>): void {
    const turn = this.#call(callId).transcript[seq];
    if (turn) Object.assign(turn, patch);
  }
}

export interface EvalGateway {
  /** The Exotel webhook to dial. */
  url: string;
  /** The call's record so far (live: events are added as they happen). */
  peek(callSid: string): ScriptCallRecord | undefined;
  /** The call's record once it is over (and forgets it); throws when the gateway never saw the call. */
  record(callSid: string): Promise<ScriptCallRecord>;
  close(): Promise<void>;
}

/** `cmn`: the recogniser's normalization (STT_CMN), streaming with `live`; the server's default if not given. */
export async function startEvalGateway(options: { pool: number; cmn?: CmnMode }): Promise<EvalGateway> {
  const journal = new MemoryJournal();
  // env {}: cloud agents are skipped (no keys), so only the offline agents run, as on a fresh install.
  const catalog = createBuiltinAgents(undefined, { ttsPoolSize: options.pool, sttPoolSize: options.pool, sttCmn: options.cmn, env: {}, warn: () => {} });
  await prepareAgents(catalog, [8000]);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const gateway: Gateway = await buildGateway({ config, logger: createLogger('silent'), agents: catalog, journal });
  await gateway.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = gateway.app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/voicebot/connect`,
    peek: (callSid) => journal.calls.get(callSid),
    async record(callSid) {
      // The session records its end a moment after the socket closes.
      for (let i = 0; i < 100 && !journal.calls.get(callSid)?.events.some((e) => e.type === 'end'); i++) await new Promise((r) => setTimeout(r, 20));
      const record = journal.calls.get(callSid);
      if (!record) throw new Error(`the gateway has no record of call ${callSid}`);
      journal.calls.delete(callSid);
      return record;
    },
    async close() {
      await gateway.drain(1000);
    },
  };
}
