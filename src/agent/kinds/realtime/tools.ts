// The model's function calls: each runs while its response plays (with a timeout and the call's signal), the results
// go back once the response is done, then the model answers with them. The built-in `end_call` / `transfer` end the
// call after the last line played: said in the same response, or asked for.
import { BUILTIN_TOOL_SPECS } from '../../tools/builtin-tools.js';
import type { ServerEventOf } from '../../../providers/realtime/realtime-events.js';
import type { ToolSpec } from '../../../providers/types.js';
import type { CallControl } from '../../../conversation/call-contract.js';
import type { RealtimeAgentOptions, RealtimeTool } from './options.js';
import type { RealtimeResponses, ResponseState } from './responses.js';
import type { RealtimeSessions } from './sessions.js';
import type { RealtimeTranscript } from './transcript.js';

const GOODBYE_INSTRUCTIONS = 'Say a short, friendly goodbye to the caller now. Do not call any tool.';
const HANDOVER_INSTRUCTIONS = 'Tell the caller in one short sentence that you are transferring them to a colleague now. Do not call any tool.';

/** The functions the model is offered: the agent's own and the built-ins it keeps. */
export function realtimeToolSpecs(o: RealtimeAgentOptions): ToolSpec[] {
  const builtins = o.builtins ?? {};
  const specs: ToolSpec[] = (o.tools ?? []).map((t) => t.spec);
  if (builtins.endCall ?? true) specs.push(BUILTIN_TOOL_SPECS.end_call);
  if (builtins.transfer ?? true) specs.push(BUILTIN_TOOL_SPECS.transfer);
  return specs;
}

const isBuiltin = (name: string) => name === 'end_call' || name === 'transfer';

export class RealtimeTools {
  private readonly tools: Map<string, RealtimeTool>;
  private running = 0;
  private endingWith: { reason: 'bot-hangup' | 'transfer'; detail: string } | undefined;

  constructor(
    private readonly call: CallControl,
    private readonly o: RealtimeAgentOptions,
    private readonly sessions: RealtimeSessions,
    private readonly responses: RealtimeResponses,
    private readonly transcript: RealtimeTranscript,
  ) {
    this.tools = new Map((o.tools ?? []).map((t) => [t.spec.name, t]));
  }

  /** The model asked to end the call: the last line plays out, the caller is not answered any more. */
  get ending(): boolean {
    return this.endingWith !== undefined;
  }

  /** No tool is running and the call goes on. */
  get idle(): boolean {
    return this.running === 0 && this.endingWith === undefined;
  }

  /** A function call item in a response: its name, for an arguments event that leaves it out. */
  callAdded(e: ServerEventOf<'response.output_item.added'>): void {
    if (e.item.type === 'function_call' && e.item.call_id && e.item.name) this.responses.get(e.response_id)?.callNames.set(e.item.call_id, e.item.name);
  }

  /** The call's arguments are complete: run it now, its result goes back with the response's others. */
  start(e: ServerEventOf<'response.function_call_arguments.done'>): void {
    const response = this.responses.get(e.response_id);
    if (!response || response.cancelled) return;
    const name = e.name ?? response.callNames.get(e.call_id) ?? '';
    const started = performance.now();
    this.running++;
    const run = this.run(name, e.arguments, e.call_id).then(
      (output) => ({ callId: e.call_id, name, output }),
      (err: unknown) => ({ callId: e.call_id, name, output: JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) }),
    );
    response.toolRuns.push(
      run.finally(() => {
        this.running--;
        this.call.record('realtime.tool', { name, ms: Math.round(performance.now() - started) });
      }),
    );
  }

  /** A response is done: its tool results go back, or the call ends once its closing line played. */
  responseDone(response: ResponseState): void {
    if (response.toolRuns.length) void this.finish(response);
    else if (response.closing) void this.hangUpAfter(response);
  }

  private async run(name: string, rawArgs: string, callId: string): Promise<string> {
    let args: unknown;
    try {
      args = rawArgs ? JSON.parse(rawArgs) : {};
    } catch {
      return JSON.stringify({ error: 'arguments are not valid JSON' });
    }
    if (isBuiltin(name) && !this.tools.has(name)) {
      const reason = typeof (args as { reason?: unknown })?.reason === 'string' ? (args as { reason: string }).reason : name;
      this.endingWith ??= { reason: name === 'end_call' ? 'bot-hangup' : 'transfer', detail: reason };
      return JSON.stringify({ ok: true });
    }
    const tool = this.tools.get(name);
    if (!tool) return JSON.stringify({ error: `unknown tool ${name}` });
    const timeout = AbortSignal.timeout(this.o.toolTimeoutMs ?? 10_000);
    const signal = AbortSignal.any([this.call.signal, timeout]);
    const result = await Promise.race([
      tool.run(args, { call: this.call, signal, callId }),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error(timeout.aborted ? 'tool timed out' : 'call ended')), { once: true })),
    ]);
    return typeof result === 'string' ? result : JSON.stringify(result ?? null);
  }

  private async finish(response: ResponseState): Promise<void> {
    const conn = this.sessions.conn;
    const outputs = await Promise.all(response.toolRuns);
    if (this.sessions.closed || this.sessions.conn !== conn || !conn) return;
    for (const out of outputs) {
      conn.createItem({ type: 'function_call_output', call_id: out.callId, output: out.output });
      if (!isBuiltin(out.name)) this.transcript.toolResult(out.name, out.output);
    }
    if (response.cancelled) return; // the caller spoke: their turn produces the next response
    if (!this.endingWith) {
      this.responses.request(undefined);
      return;
    }
    // The last line: said in this response already, or asked for now.
    if (response.items.length > 0) void this.hangUpAfter(response);
    else this.responses.request({ instructions: this.endingWith.reason === 'bot-hangup' ? GOODBYE_INSTRUCTIONS : HANDOVER_INSTRUCTIONS }, true);
  }

  /** Waits for the response's audio to play out (its marks), then ends the call. */
  private async hangUpAfter(response: ResponseState): Promise<void> {
    const ending = this.endingWith ?? { reason: 'bot-hangup' as const, detail: 'end_call' };
    await this.responses.playedOut(response);
    if (this.sessions.closed) return;
    this.call.record('realtime.hangup', { reason: ending.reason, detail: ending.detail });
    this.call.hangup(ending.reason, ending.detail);
  }
}
