// The rules for live-call control input, in one place: the HTTP routes build their bodies on them, and the fleet's
// control bus checks with them what another node (or an older version) sent.
import { z } from 'zod';
import { NODE_ID_PATTERN } from '../config/env.js';
import { ID_RULES, isValidId } from '../exotel/identifiers.js';
import { SAY_TEXT_MAX_CHARS, type ControlOutcome, type LiveAction } from './live-control.js';

// C0 and C1 controls other than tab and newline: nothing a voice can say, and they would reach the TTS engine.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const SPEAKABLE = /[\p{L}\p{N}]/u;

/** A line for the call's voice: trimmed, 1-SAY_TEXT_MAX_CHARS characters, with something to say in it. */
export const sayText = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'is required')
  .max(SAY_TEXT_MAX_CHARS, `must be at most ${SAY_TEXT_MAX_CHARS} characters`)
  .refine((t) => !CONTROL_CHARACTER.test(t), 'must not contain control characters')
  .refine((t) => SPEAKABLE.test(t), 'must contain a letter or digit');

export const sayMode = z.enum(['interrupt', 'queue'], { error: 'must be "interrupt" or "queue"' });

export const agentName = z
  .string({ error: 'must be a string' })
  .refine((v) => isValidId('agentName', v), { message: `must be ${ID_RULES.agentName.describe}` });

export const liveActionSchema: z.ZodType<LiveAction> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('hangup') }),
  z.object({ kind: z.literal('transfer') }),
  z.object({ kind: z.literal('say'), text: sayText, mode: sayMode }),
  z.object({ kind: z.literal('agent'), agent: agentName }),
]);

/** A fleet node's id (NODE_ID). */
export const nodeIdSchema = z.string().regex(NODE_ID_PATTERN);
const nodeId = nodeIdSchema.optional();

export const controlOutcomeSchema: z.ZodType<ControlOutcome> = z.discriminatedUnion('status', [
  z.object({ status: z.literal('accepted'), nodeId }),
  z.object({ status: z.literal('not-found'), localOnly: z.boolean().optional() }),
  z.object({ status: z.literal('timeout'), nodeId }),
  z.object({ status: z.literal('rejected'), reason: z.string().max(500), field: z.string().max(64).optional(), nodeId }),
]);
