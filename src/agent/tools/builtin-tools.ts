// The tools every cloud agent can offer without configuration: ending the call and handing the caller to a person.
// Only their specs live here. What they do depends on the agent (let the last line play out, then close the stream
// so Exotel's flow moves on), so each agent implements them and recognises them by name.
import type { ToolSpec } from '../../providers/types.js';

export const BUILTIN_TOOL_NAMES = ['end_call', 'transfer'] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];

export const BUILTIN_TOOL_SPECS: Readonly<Record<BuiltinToolName, ToolSpec>> = {
  end_call: {
    name: 'end_call',
    description: 'End the phone call. Say goodbye first (or it will be said for you), then call this.',
    parameters: { type: 'object', properties: { reason: { type: 'string', description: 'Why the call ends' } } },
  },
  transfer: {
    name: 'transfer',
    description: 'Hand the caller over to a human agent. Tell the caller you are transferring them, then call this.',
    parameters: { type: 'object', properties: { reason: { type: 'string', description: 'Why the caller needs a human' } } },
  },
};

/** Marks a tool call the agent handles itself rather than running a tool. */
export function isBuiltinTool(name: string): name is BuiltinToolName {
  return (BUILTIN_TOOL_NAMES as readonly string[]).includes(name);
}
