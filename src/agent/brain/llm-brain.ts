// A brain backed by a streaming chat model: each caller turn goes to the model with the conversation
// as the caller heard it (a reply they cut short holds only what they heard), and the answer streams
// back as it is generated. Tool calls run with the reply's signal (a barge-in cancels them), their
// results go back to the model and it continues; a slow tool gets its filler line said meanwhile.
// Built-in `end_call` and `transfer` end the reply with the goodbye / hand-over line and an action.
// A model request that fails before anything of it was said is retried once when that can help;
// then the brain gives up with a ProviderFailure and the conversation falls back.
import { digitsInText } from '../../language/spoken-digits.js';
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson } from '../../limits/bounded-json.js';
import { ProviderError, abortReason, isRetryable } from '../../providers/errors.js';
import type { ChatDelta, ChatMessage, LanguageModel, ToolCall, ToolSpec } from '../../providers/types.js';
import { ProviderFailure, failureReport, recordProviderFailure } from '../../conversation/provider-failure.js';
import type { AgentTool } from '../tools/types.js';
import type { CallControl } from '../../conversation/call-contract.js';
import type { Brain, BrainContext, BrainInput, BrainOutput, BrainReply, BrainSession, ConversationEntry, ReplyPart } from '../../conversation/brain.js';

export const END_CALL_TOOL = 'end_call';
export const TRANSFER_TOOL = 'transfer';

export interface LlmBrainPrompts {
  /** `end_call` when the model said no goodbye. */
  goodbye: string;
  /** `transfer` when the model said no hand-over line. */
  transfer: string;
  /** The recogniser heard speech but no words. */
  notUnderstood: string;
  /** A tool is slow and has no filler of its own. */
  filler: string;
  /** Said in turn when the caller is silent (the last one repeats). */
  idle: readonly string[];
}

export interface LlmBrainOptions {
  llm: LanguageModel;
  systemPrompt: string;
  greeting: string;
  tools?: readonly AgentTool[];
  /** Built-in tools, both on by default. */
  builtins?: { endCall?: boolean; transfer?: boolean };
  prompts: LlmBrainPrompts;
  /** No first token (text or tool call) within this: a `timeout`. */
  firstTokenTimeoutMs: number;
  /** A tool that has not answered within this fails (the model is told). */
  toolTimeoutMs: number;
  /** Default for tools without their own `fillerAfterMs`. */
  fillerAfterMs: number;
  temperature?: number;
  maxTokens?: number;
  /** Conversation lines sent (oldest dropped first). */
  maxHistory: number;
  /** Model requests per reply that may call tools; the last one is asked without tools. Default 4. */
  maxToolRounds?: number;
  /** Keys that switch the call's language (key -> BCP-47) when pressed first. */
  languageMenu?: Readonly<Record<string, string>>;
}

const BUILTIN_SPECS: Record<string, ToolSpec> = {
  [END_CALL_TOOL]: {
    name: END_CALL_TOOL,
    description: 'End the call, once the caller has what they need or wants to go. Say goodbye first, or pass the goodbye to say.',
    parameters: {
      type: 'object',
      properties: { goodbye: { type: 'string', description: 'The goodbye to say before hanging up, if you have not said it yet.' } },
      required: [],
    },
  },
  [TRANSFER_TOOL]: {
    name: TRANSFER_TOOL,
    description: 'Hand the caller over to a human colleague, when they ask for a person or you cannot help.',
    parameters: {
      type: 'object',
      properties: {
        reason: { type: 'string', description: 'Why the caller is handed over (recorded for the colleague).' },
        message: { type: 'string', description: 'What to tell the caller before the hand-over, if you have not said it yet.' },
      },
      required: ['reason'],
    },
  },
};

export class LlmBrain implements Brain {
  readonly grammars = new Map();
  readonly #o: LlmBrainOptions;
  readonly #tools = new Map<string, AgentTool>();
  readonly #specs: ToolSpec[];
  readonly #builtins: Set<string>;

  constructor(options: LlmBrainOptions) {
    this.#o = options;
    for (const tool of options.tools ?? []) this.#tools.set(tool.spec.name, tool);
    this.#builtins = new Set();
    if (options.builtins?.endCall !== false) this.#builtins.add(END_CALL_TOOL);
    if (options.builtins?.transfer !== false) this.#builtins.add(TRANSFER_TOOL);
    for (const name of this.#builtins) if (this.#tools.has(name)) throw new Error(`tool "${name}" is built in`);
    this.#specs = [...[...this.#tools.values()].map((t) => t.spec), ...[...this.#builtins].map((n) => BUILTIN_SPECS[n])];
  }

  fixedReplies(): BrainReply[] {
    const p = this.#o.prompts;
    const lines = [p.notUnderstood, p.goodbye, p.transfer, p.filler, ...p.idle, ...[...this.#tools.values()].flatMap((t) => (t.filler ? [t.filler] : []))];
    return [{ text: this.#o.greeting, label: 'greeting' }, ...[...new Set(lines)].map((text) => ({ text, label: 'fixed' }))];
  }

  startSession(context?: BrainContext): BrainSession {
    if (!context) throw new Error('LlmBrain needs the call (BrainContext) to run tools');
    return new LlmSession(this.#o, this.#tools, this.#specs, this.#builtins, context.call);
  }
}

class LlmSession implements BrainSession {
  #keys = '';

  constructor(
    private readonly o: LlmBrainOptions,
    private readonly tools: ReadonlyMap<string, AgentTool>,
    private readonly specs: readonly ToolSpec[],
    private readonly builtins: ReadonlySet<string>,
    private readonly call: CallControl,
  ) {}

  greeting(): BrainReply {
    return { text: this.o.greeting, label: 'greeting' };
  }

  grammarKey(): string {
    return 'general';
  }

  respond(input: BrainInput, history: readonly ConversationEntry[], signal: AbortSignal): BrainOutput {
    switch (input.type) {
      case 'speech':
        return this.#stream(history, signal);
      case 'unrecognised':
        return { kind: 'reply', reply: { text: this.o.prompts.notUnderstood, label: 'not-understood' } };
      case 'idle': {
        const idle = this.o.prompts.idle;
        return { kind: 'reply', reply: { text: idle[Math.min(input.count, idle.length) - 1] ?? this.o.prompts.notUnderstood, label: 'idle' } };
      }
      case 'dtmf': {
        const language = this.#keys === '' ? this.o.languageMenu?.[input.digit] : undefined;
        if (language !== undefined) return { kind: 'reply', reply: { text: '', label: 'language', switchLanguage: language } };
        // Keys are collected until `#` or a pause; the conversation adds them to the history as one line.
        this.#keys += input.digit;
        if (input.digit !== '#') return { kind: 'collect', timeoutMs: 3000 };
        this.#keys = '';
        return this.#stream(history, signal);
      }
      case 'dtmfTimeout':
        this.#keys = '';
        return this.#stream(history, signal);
    }
  }

  #stream(history: readonly ConversationEntry[], signal: AbortSignal): BrainOutput {
    return { kind: 'stream', reply: { label: 'llm', parts: this.#parts(history, signal) } };
  }

  async *#parts(history: readonly ConversationEntry[], signal: AbortSignal): AsyncGenerator<ReplyPart> {
    const messages: ChatMessage[] = [{ role: 'system', content: this.o.systemPrompt }, ...historyMessages(history, this.o.maxHistory)];
    const rounds = this.o.maxToolRounds ?? 4;
    for (let round = 0; ; round++) {
      const calls: ToolCall[] = [];
      let text = '';
      for await (const d of this.#chat(messages, signal, round < rounds)) {
        if (d.type === 'text') {
          text += d.text;
          yield { type: 'text', text: d.text };
        } else if (d.type === 'tool-call') calls.push(d.call);
      }
      if (calls.length === 0) return;
      const ending = calls.find((c) => this.builtins.has(c.name));
      if (ending) {
        yield* this.#end(ending, text);
        return;
      }
      messages.push({ role: 'assistant', content: text || null, toolCalls: calls });
      const results = yield* this.#runTools(calls, signal);
      calls.forEach((c, i) => messages.push({ role: 'tool', toolCallId: c.id, content: results[i] }));
    }
  }

  /** One model request, its first token bounded in time, retried once if it failed before saying anything. */
  async *#chat(messages: readonly ChatMessage[], signal: AbortSignal, withTools: boolean): AsyncGenerator<ChatDelta> {
    const { llm } = this.o;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortReason(signal);
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(abortReason(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const limit = this.o.firstTokenTimeoutMs;
      let timer: NodeJS.Timeout | undefined = setTimeout(() => ctl.abort(new ProviderError('timeout', `${llm.name}: no first token within ${limit} ms`)), limit);
      let said = false;
      try {
        const request = {
          messages: [...messages],
          tools: withTools && this.specs.length > 0 ? this.specs : undefined,
          temperature: this.o.temperature,
          maxTokens: this.o.maxTokens,
          signal: ctl.signal,
        };
        for await (const d of llm.chat(request)) {
          clearTimeout(timer);
          timer = undefined;
          if (d.type !== 'done') said = true;
          yield d;
        }
        return;
      } catch (err) {
        if (signal.aborted) throw abortReason(signal);
        const cause = ctl.signal.aborted && ctl.signal.reason instanceof ProviderError ? ctl.signal.reason : err;
        const retrying = !said && attempt === 0 && isRetryable(cause);
        const report = failureReport(llm.name, 'llm', cause, retrying);
        recordProviderFailure(this.call, report);
        if (!retrying) throw new ProviderFailure(report, { cause });
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Runs the calls together; if they are slow, a filler line is said while they run. Returns each call's result text. */
  async *#runTools(calls: readonly ToolCall[], signal: AbortSignal): AsyncGenerator<ReplyPart, string[]> {
    const tools = calls.map((c) => this.tools.get(c.name));
    const all = Promise.all(calls.map((c, i) => this.#runTool(c, tools[i], signal)));
    const fillerAfter = Math.min(...tools.map((t) => t?.fillerAfterMs ?? this.o.fillerAfterMs));
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(resolve, fillerAfter, 'slow')));
    try {
      if ((await Promise.race([all, slow])) === 'slow') {
        if (signal.aborted) throw abortReason(signal);
        yield { type: 'line', text: tools.find((t) => t?.filler)?.filler ?? this.o.prompts.filler };
      }
    } finally {
      clearTimeout(timer);
    }
    const results = await all;
    if (signal.aborted) throw abortReason(signal);
    return results;
  }

  async #runTool(call: ToolCall, tool: AgentTool | undefined, signal: AbortSignal): Promise<string> {
    const t0 = performance.now();
    const done = (ok: boolean, content: unknown, error?: string): string => {
      this.call.record('tool', { name: call.name, id: call.id, ms: Math.round(performance.now() - t0), ok, error, aborted: signal.aborted || undefined });
      return JSON.stringify(content ?? null);
    };
    if (!tool) return done(false, { error: `there is no tool named ${call.name}` }, 'unknown tool');
    let args: unknown = {};
    if (call.arguments.trim()) {
      // The model's arguments are outside input too: bounded before a tool (or a JSON.stringify) walks them.
      const parsed = tryParseBoundedJson(call.arguments, DEFAULT_JSON_LIMITS);
      if (!parsed.ok) {
        const error = parsed.error.reason === 'syntax' ? 'the arguments are not valid JSON' : `the arguments are over the JSON limits (${parsed.error.message})`;
        return done(false, { error }, 'bad arguments');
      }
      args = parsed.value;
    }
    const ctl = new AbortController();
    const limit = this.o.toolTimeoutMs;
    const onAbort = () => ctl.abort(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ctl.abort(new ProviderError('timeout', `no answer within ${limit} ms`)), limit);
    // A tool that ignores its signal must not hold the reply: the abort settles the wait.
    const stopped = new Promise<never>((_, reject) => ctl.signal.addEventListener('abort', () => reject(ctl.signal.reason), { once: true }));
    stopped.catch(() => {});
    try {
      const result = await Promise.race([tool.run(args, { call: this.call, callId: call.id, signal: ctl.signal }), stopped]);
      return done(true, result);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return done(false, { error: message }, message);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** `end_call` / `transfer`: the closing line (unless the model already said one), then the action. */
  *#end(call: ToolCall, said: string): Generator<ReplyPart> {
    let args: Record<string, unknown> = {};
    // Ending the call does not depend on well-formed arguments.
    const parsed = call.arguments.trim() ? tryParseBoundedJson(call.arguments, DEFAULT_JSON_LIMITS) : undefined;
    if (parsed?.ok && parsed.value && typeof parsed.value === 'object') args = parsed.value as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
    const hasSaid = said.trim() !== '';
    if (call.name === END_CALL_TOOL) {
      this.call.record('tool', { name: call.name, id: call.id, ms: 0, ok: true });
      const line = str(args.goodbye) ?? (hasSaid ? undefined : this.o.prompts.goodbye);
      if (line && !(hasSaid && said.includes(line))) yield { type: 'line', text: line };
      yield { type: 'action', action: { type: 'hangup', reason: END_CALL_TOOL } };
      return;
    }
    const reason = str(args.reason) ?? 'asked by the model';
    this.call.record('tool', { name: call.name, id: call.id, ms: 0, ok: true, reason });
    const line = str(args.message) ?? (hasSaid ? undefined : this.o.prompts.transfer);
    if (line && !(hasSaid && said.includes(line))) yield { type: 'line', text: line };
    yield { type: 'action', action: { type: 'transfer', reason } };
  }
}

/** The conversation as chat messages: the latest `max` lines, agent lines as the caller heard them. */
export function historyMessages(history: readonly ConversationEntry[], max: number): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const e of history.slice(-max)) {
    const text = e.text.trim();
    if (!text) continue;
    if (e.role === 'agent') out.push({ role: 'assistant', content: text });
    // Digits said one by one ("चार सात डबल दो नौ") reach the model as the number, ready for a tool's arguments.
    else out.push({ role: 'user', content: text.startsWith('[DTMF] ') ? `(keypad: ${text.slice(7)})` : digitsInText(text) });
  }
  return out;
}
