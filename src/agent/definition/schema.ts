// The schema of an agent definition file (agents/*.yaml): who the agent is, how it speaks and
// listens, how it takes turns, and — for the offline brain — what it understands and answers.
// Validated with zod; strict objects, so a misspelt key is an error rather than silently ignored.
// This file holds the offline (`kind: conversational`) definition and the parts every kind shares;
// definition-cloud.ts adds the cloud kinds (`cascade`, `realtime`) and the union of all three.
import { z } from 'zod';
import { phraseWords } from '../../providers/stt/phrase-grammar.js';

export const text = z.string().trim().min(1, 'must not be empty');
export const ms = (max: number) => z.number().int('must be a whole number of ms').min(0).max(max);
export const agentName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and -');
/** BCP-47 tag (en-IN, hi-IN). */
export const languageTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag like en-IN');
const digitKey = z.string().regex(/^[0-9*#]$/, 'must be one DTMF key: 0-9, * or #');

/** Speech synthesis. A discriminated union on `provider`, so cloud providers can join later. */
export const ttsSchema = z.discriminatedUnion('provider', [
  z.strictObject({ provider: z.literal('flite'), voice: z.enum(['slt', 'rms', 'awb', 'kal16', 'kal']).default('slt') }),
  z.strictObject({
    provider: z.literal('espeak'),
    /** An espeak-ng voice id, optionally with a variant (`hi`, `hi+f2`, `en-us`). */
    voice: text.default('hi'),
  }),
]);
export type TtsSpec = z.infer<typeof ttsSchema>;

export const sttSchema = z.discriminatedUnion('provider', [
  z.strictObject({
    provider: z.literal('pocketsphinx'),
    /** Results below this confidence are rejected and the caller is asked again (0..1). */
    minConfidence: z.number().min(0).max(1).default(0.5),
  }),
]);
export type SttSpec = z.infer<typeof sttSchema>;

/** A prompt is text in the agent's voice, or text with its own voice (e.g. a Hindi greeting). */
const promptSchema = z.union([text, z.strictObject({ text, voice: ttsSchema })], {
  error: (issue) => (issue.input === undefined ? 'is required' : 'must be text, or { text, voice }'),
});
export type PromptSpec = z.infer<typeof promptSchema>;

/** Endpointing and barge-in, mapped onto the turn-taking engine's options. */
export const turnTakingSchema = z
  .strictObject({
    endpointSilenceMs: ms(5000),
    endpointSilenceAfterFinalMs: ms(5000).nullable(),
    endpointSilenceIncompleteMs: ms(10_000).nullable(),
    minSpeechMs: ms(2000),
    maxTurnMs: ms(30_000).nullable(),
    bargeIn: z
      .strictObject({
        enabled: z.boolean(),
        minSpeechMs: ms(3000),
        minLevelDbfs: z.number().min(-100).max(0).nullable(),
        greetingProtectMs: ms(30_000),
        protectWholeGreeting: z.boolean(),
        dtmf: z.boolean(),
        falseInterruptionMaxSpeechMs: ms(5000),
        falseInterruptionTranscriptWaitMs: ms(10_000).nullable(),
      })
      .partial(),
    vad: z.strictObject({ mode: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]), energyFloorDbfs: z.number().min(-90).max(-10) }).partial(),
  })
  .partial();

const slotSchema = z.strictObject({
  /** Referenced as {name} in phrases and replies. */
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and _'),
  type: z.literal('digits'),
  minDigits: z.number().int().min(1).max(16),
  maxDigits: z.number().int().min(1).max(16),
  /** Asked when the intent is recognised without the value. */
  ask: text,
  /** Asked again when the value was not understood or had the wrong length. */
  retry: text,
  /**
   * Read back a spoken value before acting on it, e.g. "I heard {order}. Is that right?": the caller says yes, no, or
   * "no, it's ..." (or types it). Typed values are not read back. Without it, spoken values are used at once.
   */
  confirm: text.optional(),
  /** Ways of saying the value, e.g. "my order number is {order}"; "{order}" alone is always understood while asking. */
  phrases: z.array(text).default([]),
  /** Key that ends keypad entry. */
  terminator: digitKey.default('#'),
  /** Keypad entry ends this long after the last key. */
  interDigitTimeoutMs: ms(20_000).default(4000),
});
export type SlotSpec = z.infer<typeof slotSchema>;

const intentSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lowercase letters, digits and -'),
  /** What callers say; each is a phrase the recogniser listens for. */
  examples: z.array(text).min(1, 'needs at least one example phrase'),
  /**
   * Words (or short phrases) that point to this intent wherever the caller says them ("hours", "open", "customer care"),
   * so callers can ask in their own words. They outweigh the other words of the examples.
   */
  keywords: z.array(text).default([]),
  /** Other words callers use for a word of this intent's examples or keywords: `{ shop: [store, showroom] }`. */
  synonyms: z.record(text, z.array(text).min(1)).default({}),
  /** What the agent says. With a slot: a template using {slot}. */
  reply: text,
  /** After the reply: carry on (default), end the call, or hand the caller to the flow's next applet. */
  action: z.enum(['reply', 'hangup', 'transfer']).default('reply'),
  slot: slotSchema.optional(),
  /** Replies for particular slot values (e.g. known order numbers); `reply` covers the rest. */
  answers: z.record(z.string().regex(/^\d+$/, 'must be digits'), text).optional(),
});
export type IntentSpec = z.infer<typeof intentSchema>;

/** Calls routed to an agent without naming it. */
export const routingSchema = z
  .strictObject({
    /** Called numbers (any Indian or E.164 form). */
    numbers: z.array(text).default([]),
    /** Values of Exotel's CustomField. */
    customFields: z.array(text).default([]),
  })
  .default({ numbers: [], customFields: [] });

/**
 * Languages the caller may switch the call to, each the agent that speaks it (`en-IN: front-desk`), or agents in
 * order of preference (`en-IN: [cascade, front-desk]`: the first this server runs, e.g. the cloud one when its keys
 * are set). That agent takes the call over, with its own voice, recogniser and prompts.
 */
export const languagesSchema = z.record(languageTag, z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(agentName).min(1))).default({});
/** Keys that switch the language (`"9": en-IN`) whenever the agent is not collecting digits. */
export const languageMenuSchema = z.record(digitKey, languageTag).default({});

/** Language-menu keys switch to a language of `languages`, and are not also keypad-menu keys. */
export function checkLanguages(
  def: { language: string; languages: Record<string, string[]>; languageMenu: Record<string, string>; name: string; dtmfMenu?: Record<string, string> },
  ctx: z.RefinementCtx,
): void {
  for (const [tag, agents] of Object.entries(def.languages)) {
    if (tag === def.language) ctx.addIssue({ code: 'custom', path: ['languages', tag], message: `is the agent's own language` });
    if (agents.includes(def.name)) ctx.addIssue({ code: 'custom', path: ['languages', tag], message: 'must name other agents' });
  }
  for (const [key, tag] of Object.entries(def.languageMenu)) {
    if (!(tag in def.languages)) ctx.addIssue({ code: 'custom', path: ['languageMenu', key], message: `"${tag}" is not one of languages (${Object.keys(def.languages).join(', ') || 'none'})` });
    if (def.dtmfMenu?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['languageMenu', key], message: `is also dtmfMenu's key for "${def.dtmfMenu[key]}"` });
  }
}

/** Prompting a silent caller, then giving up. */
export const idleSchema = z.strictObject({
  afterMs: ms(120_000).min(1000),
  /** Said in turn (the last one repeats). */
  prompts: z.array(text).min(1),
  maxPrompts: z.number().int().min(0).max(10),
  goodbye: text,
});

/** The longest call, and what is said when it is reached. */
export const limitsSchema = z.strictObject({
  maxCallMs: ms(4 * 3_600_000).min(10_000),
  wrapUp: text,
});

/** The offline agent: PocketSphinx listens for the intents' phrases, the intent brain answers, flite/espeak speak. */
export const agentDefinitionSchema = z
  .strictObject({
    /** Optional in files: a definition without `kind` is conversational. */
    kind: z.literal('conversational').default('conversational'),
    name: agentName,
    description: text.optional(),
    /** BCP-47 tag of what the agent speaks (en-IN, hi-IN). */
    language: languageTag,
    voice: ttsSchema,
    stt: sttSchema,
    /** For future LLM brains; the offline brain does not read it. */
    systemPrompt: text.optional(),
    greeting: promptSchema,
    /** Said before the greeting, in its voice, when calls are recorded (RECORD_CALLS=on), e.g. "This call is recorded." */
    recordingNotice: text.optional(),
    routing: routingSchema,
    turnTaking: turnTakingSchema.default({}),
    idle: idleSchema.optional(),
    limits: limitsSchema.optional(),
    prompts: z.strictObject({
      /** When the caller asked for something the agent does not do. */
      fallback: text,
      /** When the recogniser could not tell what the caller said. */
      notUnderstood: text,
      /** When something failed on our side. */
      apology: text,
      /** After "yes" to "anything else?". */
      howCanIHelp: text,
    }),
    /** Keypad shortcuts: key -> intent name, or `repeat` (say the last reply again). */
    dtmfMenu: z.record(digitKey, z.string()).default({}),
    languages: languagesSchema,
    languageMenu: languageMenuSchema,
    intents: z.array(intentSchema).min(1, 'needs at least one intent'),
    /** What callers say for yes/no (answers to "anything else?"); "no" ends the call with the hang-up intent. */
    yes: z.array(text).default(['yes', 'yes please', 'yeah']),
    no: z.array(text).default(['no', 'no thanks', 'no thank you', "that's all"]),
    transfer: z
      .strictObject({
        /** Hand over after this many turns in a row the agent could not help with. */
        afterFailedTurns: z.number().int().min(1).max(10),
        /** The transfer intent whose reply is said. */
        intent: z.string(),
      })
      .optional(),
  })
  .superRefine((def, ctx) => {
    checkLanguages(def, ctx);
    const intents = new Map(def.intents.map((i) => [i.name, i]));
    def.intents.forEach((intent, i) => {
      if (def.intents.findIndex((o) => o.name === intent.name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['intents', i, 'name'], message: `duplicate intent "${intent.name}"` });
      }
      const slot = intent.slot;
      const placeholders = (s: string) => [...s.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
      const check = (s: string, path: (string | number)[]) => {
        for (const p of placeholders(s)) {
          if (p !== slot?.name) ctx.addIssue({ code: 'custom', path, message: `unknown placeholder {${p}}${slot ? ` (the slot is {${slot.name}})` : ' (the intent has no slot)'}` });
        }
      };
      check(intent.reply, ['intents', i, 'reply']);
      intent.examples.forEach((e, k) => check(e, ['intents', i, 'examples', k]));
      if (slot) {
        if (slot.maxDigits < slot.minDigits) ctx.addIssue({ code: 'custom', path: ['intents', i, 'slot', 'maxDigits'], message: 'must be ≥ minDigits' });
        if (slot.confirm && !placeholders(slot.confirm).includes(slot.name)) {
          ctx.addIssue({ code: 'custom', path: ['intents', i, 'slot', 'confirm'], message: `must contain {${slot.name}}` });
        }
        slot.phrases.forEach((p, k) => {
          check(p, ['intents', i, 'slot', 'phrases', k]);
          if (!placeholders(p).includes(slot.name)) ctx.addIssue({ code: 'custom', path: ['intents', i, 'slot', 'phrases', k], message: `must contain {${slot.name}}` });
        });
        for (const [value, answer] of Object.entries(intent.answers ?? {})) {
          check(answer, ['intents', i, 'answers', value]);
          if (value.length < slot.minDigits || value.length > slot.maxDigits) {
            ctx.addIssue({ code: 'custom', path: ['intents', i, 'answers', value], message: `has ${value.length} digits; the slot takes ${slot.minDigits}-${slot.maxDigits}` });
          }
        }
      } else if (intent.answers) {
        ctx.addIssue({ code: 'custom', path: ['intents', i, 'answers'], message: 'needs a slot' });
      }
    });
    // One phrase meaning two things would make the recognised intent arbitrary.
    const owner = new Map<string, string>();
    const claim = (phrase: string, who: string, path: (string | number)[]) => {
      const key = phraseWords(phrase).join(' ');
      const other = owner.get(key);
      if (other !== undefined && other !== who) ctx.addIssue({ code: 'custom', path, message: `"${phrase}" is also a phrase of ${other}` });
      else owner.set(key, who);
    };
    def.intents.forEach((intent, i) => intent.examples.forEach((e, k) => claim(e, `intent "${intent.name}"`, ['intents', i, 'examples', k])));
    def.yes.forEach((p, k) => claim(p, 'yes', ['yes', k]));
    def.no.forEach((p, k) => claim(p, 'no', ['no', k]));
    for (const [key, target] of Object.entries(def.dtmfMenu)) {
      if (target !== 'repeat' && !intents.has(target)) {
        ctx.addIssue({ code: 'custom', path: ['dtmfMenu', key], message: `"${target}" is neither an intent nor "repeat"` });
      }
    }
    if (def.transfer) {
      const target = intents.get(def.transfer.intent);
      if (!target) ctx.addIssue({ code: 'custom', path: ['transfer', 'intent'], message: `no intent "${def.transfer.intent}"` });
      else if (target.action !== 'transfer') ctx.addIssue({ code: 'custom', path: ['transfer', 'intent'], message: `intent "${target.name}" does not transfer (action: ${target.action})` });
    }
  });

/** A conversational (offline) definition. */
export type AgentDefinition = z.infer<typeof agentDefinitionSchema>;
export type TurnTakingSpec = z.infer<typeof turnTakingSchema>;
export type IdleSpec = z.infer<typeof idleSchema>;
export type LimitsSpec = z.infer<typeof limitsSchema>;

/** Text and voice of a prompt, whichever form it was written in. */
export function promptParts(prompt: PromptSpec): { text: string; voice?: TtsSpec } {
  return typeof prompt === 'string' ? { text: prompt } : prompt;
}
