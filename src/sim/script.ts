import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { readBoundedTextFile } from '../limits/bounded-file.js';
import { enforceJsonLimits, JsonLimitError } from '../limits/bounded-json.js';

/**
 * A scripted call (`exovoice simulate --script call.yaml`): what the caller says, types and waits for, turn by
 * turn, and what each agent reply must be. Parsed from a bounded YAML file; every error names its line and field.
 */

export const SCRIPT_LIMITS = { maxBytes: 256 * 1024, maxDepth: 8, maxKeys: 64, maxItems: 200, maxStringLength: 2000 };

/** Flite voices the caller can speak `say:` lines in (the agent usually speaks slt, so the default differs). */
export const CALLER_VOICES = ['rms', 'awb', 'kal', 'kal16', 'slt'] as const;
export type CallerVoice = (typeof CALLER_VOICES)[number];

const expectSchema = z.strictObject({
  /** Each must appear in the reply text (case-insensitive), as the call record's transcript has it. */
  replyContains: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(20)]).optional(),
  /** The label the agent gave its reply: the intent name for an intent agent (also fallback, not-understood...). */
  intent: z.string().min(1).max(64).optional(),
  /** End of the caller's input to the first bot audio frame after it, as the simulated caller measured it. */
  maxLatencyMs: z.number().positive().max(120_000).optional(),
  /** At least this much bot audio between this input and the next. */
  minReplyAudioMs: z.number().nonnegative().max(600_000).optional(),
  /** true: the gateway sent a `clear` while this input played (barge-in); false: it did not. */
  clear: z.boolean().optional(),
  /** true: the bot ended the call (hang-up or transfer) before the next step; false: the call went on. */
  endsCall: z.boolean().optional(),
});
export type TurnExpectation = z.infer<typeof expectSchema>;

const bargeIn = z.number().int().nonnegative().max(60_000).optional();
const stepSchemas = {
  say: z.strictObject({ say: z.string().min(1).max(1000), bargeInAtMs: bargeIn, expect: expectSchema.optional() }),
  wav: z.strictObject({ wav: z.string().min(1).max(1024), bargeInAtMs: bargeIn, expect: expectSchema.optional() }),
  dtmf: z.strictObject({
    // Quoted: YAML reads 0123 as the number 123.
    dtmf: z.string({ error: 'keys as a quoted string, e.g. dtmf: "0123"' }).regex(/^[0-9*#]{1,32}$/, 'up to 32 keys 0-9, * and #'),
    gapMs: z.number().int().min(20).max(5000).optional(),
    bargeInAtMs: bargeIn,
    expect: expectSchema.optional(),
  }),
  pause: z.strictObject({ pause: z.number().positive().max(300) }),
  hangup: z.strictObject({ hangup: z.literal(true) }),
} as const;
type StepKind = keyof typeof stepSchemas;
const STEP_KINDS = Object.keys(stepSchemas) as StepKind[];

export type ScriptStep = { line: number } & (
  | { kind: 'say'; say: string; bargeInAtMs?: number; expect?: TurnExpectation }
  | { kind: 'wav'; wav: string; path: string; bargeInAtMs?: number; expect?: TurnExpectation }
  | { kind: 'dtmf'; dtmf: string; gapMs: number; bargeInAtMs?: number; expect?: TurnExpectation }
  | { kind: 'pause'; pauseMs: number }
  | { kind: 'hangup' }
);

const topSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  /** Sent as agent=<name> (webhook param, or ws URL query), unless --agent overrides it. */
  agent: z.string().min(1).max(64).optional(),
  /** For a ws:// URL: the stream rate asked for. A webhook's answer chooses the rate itself. */
  sampleRate: z.literal([8000, 16000, 24000]).optional(),
  voice: z.enum(CALLER_VOICES).optional(),
  /** The agent speaks first (default true): the first turn waits for its greeting to finish. */
  greeting: z.boolean().optional(),
  /** A reply not started this long after the caller's input counts as none. */
  replyTimeoutMs: z.number().int().min(500).max(120_000).optional(),
  /** The agent counts as done speaking once its audio has stopped this long. */
  quietMs: z.number().int().min(100).max(10_000).optional(),
  turns: z.array(z.unknown()).min(1).max(SCRIPT_LIMITS.maxItems),
});

export interface CallScript {
  file: string;
  name: string;
  agent?: string;
  sampleRate?: 8000 | 16000 | 24000;
  voice: CallerVoice;
  greeting: boolean;
  replyTimeoutMs: number;
  quietMs: number;
  steps: ScriptStep[];
}

export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`${file}: ${issues.length === 1 ? issues[0] : `\n  ${issues.join('\n  ')}`}`);
  }
}

type Path = Array<string | number>;

function pathText(path: Path): string {
  return path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${p}` : p), '');
}

/** Line of the deepest node on `path` that exists (a missing key is reported at its parent). */
function lineOf(doc: Document, lines: LineCounter, path: Path): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

/** Validates a script's text; `file` names it in errors, and `wav:` paths are relative to it. */
export function parseCallScript(source: string, file: string): CallScript {
  if (Buffer.byteLength(source, 'utf8') > SCRIPT_LIMITS.maxBytes) throw new ScriptError(file, [`larger than ${SCRIPT_LIMITS.maxBytes} bytes`]);
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: true, maxAliasCount: 20 } as never);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new ScriptError(file, [`line ${e.linePos?.[0].line ?? '?'}: not valid YAML: ${e.message.split('\n')[0]}`]);
  }
  let raw: unknown;
  try {
    raw = enforceJsonLimits(doc.toJS({ maxAliasCount: 20 }), SCRIPT_LIMITS);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new ScriptError(file, [err.message.replace(/^\$\.?/, '')]);
    throw new ScriptError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  const issue = (path: Path, message: string) => {
    const line = lineOf(doc, lines, path);
    return `${line === undefined ? '' : `line ${line}: `}${pathText(path) || '(top level)'}: ${message}`;
  };
  const top = topSchema.safeParse(raw);
  if (!top.success) throw new ScriptError(file, top.error.issues.map((i) => issue(i.path as Path, i.message)));
  const issues: string[] = [];
  const steps: ScriptStep[] = [];
  const dir = dirname(resolve(file));
  top.data.turns.forEach((item, index) => {
    const at: Path = ['turns', index];
    const kinds = item !== null && typeof item === 'object' && !Array.isArray(item) ? STEP_KINDS.filter((k) => k in item) : [];
    if (kinds.length !== 1) {
      const got = kinds.length > 1 ? ` (got ${kinds.join(' and ')})` : '';
      issues.push(issue(at, `a turn has exactly one of ${STEP_KINDS.join(', ')}${got}`));
      return;
    }
    const kind = kinds[0];
    const parsed = stepSchemas[kind].safeParse(item);
    if (!parsed.success) {
      for (const i of parsed.error.issues) issues.push(issue([...at, ...(i.path as Path)], i.message));
      return;
    }
    const line = lineOf(doc, lines, at) ?? 0;
    const d = parsed.data as Record<string, unknown>;
    switch (kind) {
      case 'say':
        steps.push({ line, kind, say: d.say as string, bargeInAtMs: d.bargeInAtMs as number | undefined, expect: d.expect as TurnExpectation | undefined });
        break;
      case 'wav':
        steps.push({ line, kind, wav: d.wav as string, path: resolve(dir, d.wav as string), bargeInAtMs: d.bargeInAtMs as number | undefined, expect: d.expect as TurnExpectation | undefined });
        break;
      case 'dtmf':
        steps.push({ line, kind, dtmf: d.dtmf as string, gapMs: (d.gapMs as number | undefined) ?? 300, bargeInAtMs: d.bargeInAtMs as number | undefined, expect: d.expect as TurnExpectation | undefined });
        break;
      case 'pause':
        steps.push({ line, kind, pauseMs: Math.round((d.pause as number) * 1000) });
        break;
      case 'hangup':
        steps.push({ line, kind });
        break;
    }
  });
  const hangupAt = steps.findIndex((s) => s.kind === 'hangup');
  if (hangupAt !== -1 && hangupAt !== steps.length - 1) issues.push(issue(['turns', hangupAt], 'hangup must be the last turn'));
  if (issues.length > 0) throw new ScriptError(file, issues);
  const t = top.data;
  return {
    file,
    name: t.name ?? file,
    agent: t.agent,
    sampleRate: t.sampleRate,
    voice: t.voice ?? 'rms',
    greeting: t.greeting ?? true,
    replyTimeoutMs: t.replyTimeoutMs ?? 15_000,
    quietMs: t.quietMs ?? 1000,
    steps,
  };
}

/** Reads (bounded) and validates a script file. */
export function loadCallScript(path: string): CallScript {
  let source: string;
  try {
    source = readBoundedTextFile(path, SCRIPT_LIMITS.maxBytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ScriptError(path, [code === 'ENOENT' ? 'no such file' : (err as Error).message.replace(`${path}: `, '')]);
  }
  return parseCallScript(source, path);
}
