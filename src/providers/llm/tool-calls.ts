// Streamed tool calls (platform.openai.com/docs/guides/function-calling, streaming): pieces that name their
// call by `index`, the id and name first, the JSON arguments in fragments.
import { DEFAULT_JSON_LIMITS, tryParseBoundedJson } from '../../limits/bounded-json.js';
import { ProviderError } from '../errors.js';
import type { ToolCall } from '../types.js';
import type { ToolCallDelta } from './openai-wire.js';

/** Longest arguments of one call, and most calls in one answer: a model's function call is small. */
export const MAX_TOOL_ARGUMENT_CHARS = 64 * 1024;
export const MAX_TOOL_CALLS = 32;

interface PendingCall {
  index: number;
  id: string;
  name: string;
  args: string;
  emitted: boolean;
}

/**
 * Builds tool calls from streamed pieces. A call is complete when the stream finishes, or earlier when the model
 * moves on to another index and the call's arguments already parse: a complete JSON object is never a prefix of a
 * longer valid one, so this is safe even when a server interleaves the fragments of parallel calls.
 */
export class ToolCallAssembler {
  private readonly calls: PendingCall[] = [];
  private current = -1;

  /** Adds one piece; returns the previous call if this piece completed it. */
  add(part: ToolCallDelta): ToolCall | undefined {
    // Servers that leave out `index` send each call whole or in order: a new id starts a new call.
    const index = part.index ?? (part.id && !this.calls.some((c) => c.id === part.id) ? this.calls.length : Math.max(this.current, 0));
    let call = this.calls.find((c) => c.index === index);
    if (!call) {
      if (this.calls.length >= MAX_TOOL_CALLS) throw new ProviderError('bad-response', `the model asked for more than ${MAX_TOOL_CALLS} tool calls in one answer`);
      call = { index, id: '', name: '', args: '', emitted: false };
      this.calls.push(call);
    }
    if (part.id && !call.id) call.id = part.id;
    if (part.function?.name && !call.name) call.name = part.function.name;
    const args = part.function?.arguments;
    if (args) {
      if (call.emitted && args.trim()) throw new ProviderError('bad-response', `tool call ${call.name} got more arguments after they were complete`);
      if (call.args.length + args.length > MAX_TOOL_ARGUMENT_CHARS) {
        throw new ProviderError('bad-response', `tool call ${call.name || `#${call.index}`} has arguments longer than ${MAX_TOOL_ARGUMENT_CHARS} characters`);
      }
      call.args += args;
    }
    const previous = this.current;
    this.current = index;
    if (previous === index || previous < 0) return undefined;
    const before = this.calls.find((c) => c.index === previous)!;
    if (before.emitted || !parsesAsJson(before.args)) return undefined;
    return this.emit(before);
  }

  /** Every call not yet handed out, in index order. */
  finish(): ToolCall[] {
    return this.calls
      .filter((c) => !c.emitted)
      .sort((a, b) => a.index - b.index)
      .map((c) => this.emit(c));
  }

  private emit(call: PendingCall): ToolCall {
    if (!call.name) throw new ProviderError('bad-response', `tool call #${call.index} arrived without a function name`);
    call.emitted = true;
    // An id is what the tool result answers; servers that omit it accept any we make up.
    return { id: call.id || `call_${call.index}`, name: call.name, arguments: call.args };
  }
}

function parsesAsJson(text: string): boolean {
  // Cheap pre-check: arguments are a JSON object, so anything not ending in a brace is unfinished.
  let end = text.length - 1;
  while (end >= 0 && text.charCodeAt(end) <= 32) end--;
  if (text[end] !== '}' && text[end] !== ']') return false;
  return tryParseBoundedJson(text, DEFAULT_JSON_LIMITS).ok;
}
