// The bodies of POST /calls/:id/{hangup,transfer,say,agent}, each turned into the action it asks for.
import { z } from 'zod';
import { agentName, sayMode, sayText } from '../../call/live-control-schema.js';
import type { LiveAction } from '../../call/live-control.js';

export const CONTROL_KINDS = ['hangup', 'transfer', 'say', 'agent'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

const bodies: { [K in ControlKind]: z.ZodType<Extract<LiveAction, { kind: K }>, unknown> } = {
  hangup: z.object({}).strict().transform(() => ({ kind: 'hangup' as const })),
  transfer: z.object({}).strict().transform(() => ({ kind: 'transfer' as const })),
  // Queued by default: an operator's line waits for the agent to finish its sentence unless told to cut in.
  say: z
    .object({ text: sayText, mode: sayMode.default('queue') })
    .strict()
    .transform((b) => ({ kind: 'say' as const, ...b })),
  agent: z
    .object({ agent: agentName })
    .strict()
    .transform((b) => ({ kind: 'agent' as const, ...b })),
};

export type ParsedAction = { ok: true; action: LiveAction } | { ok: false; field: string; message: string };

/** The action a request body asks for (a missing body is an empty one), or the first problem with it. */
export function parseAction(kind: ControlKind, body: unknown): ParsedAction {
  const parsed = bodies[kind].safeParse(body ?? {});
  if (parsed.success) return { ok: true, action: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') return { ok: false, field: issue.keys[0] ?? 'body', message: `unknown field for ${kind}` };
  const field = issue.path.length ? issue.path.join('.') : 'body';
  return { ok: false, field, message: `${field} ${issue.message}` };
}
