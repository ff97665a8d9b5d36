// Reads agent definition files (YAML or JSON) and validates them, with errors that name the file
// and the field, so a broken definition stops start-up with a message the author can act on.
import { readdirSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { readBoundedTextFile } from '../../limits/bounded-file.js';
import { DEFAULT_JSON_LIMITS, enforceJsonLimits, JsonLimitError, parseBoundedJson, type JsonLimits } from '../../limits/bounded-json.js';
import type { AgentDefinition } from './schema.js';
import { anyAgentDefinitionSchema, type AnyAgentDefinition } from './cloud-schema.js';

export class AgentDefinitionError extends Error {
  override readonly name = 'AgentDefinitionError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid agent definition ${file}: ${problems.join('; ')}`);
  }
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * A definition is a page or two of YAML (the largest shipped one is ~6 KB); a long prompt still fits in 256 KB.
 * Depth, keys and strings are DEFAULT_JSON_LIMITS' (32 levels, 1000 keys, 256 KB strings).
 */
export const DEFINITION_LIMITS: JsonLimits = { ...DEFAULT_JSON_LIMITS, maxBytes: 256 * 1024 };
/** YAML aliases expand in place; a few are handy, thousands are a billion-laughs bomb. */
const MAX_YAML_ALIASES = 100;

/** `intents[2].slot.ask` */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(top level)';
}

/** Keys people write when they mean to put a secret or endpoint in the file; definitions name variables instead. */
const LITERAL_SETTINGS: Record<string, string> = {
  apiKey: 'apiKeyEnv: OPENAI_API_KEY',
  key: 'apiKeyEnv: OPENAI_API_KEY',
  token: 'apiKeyEnv: OPENAI_API_KEY',
  baseUrl: 'baseUrlEnv: LLM_BASE_URL',
};

function describe(issue: z.core.$ZodIssue): string {
  // A bad record key carries the key's own problem inside.
  let message = issue.code === 'invalid_key' && issue.issues.length > 0 ? issue.issues[0].message : issue.message;
  if (issue.code === 'unrecognized_keys') {
    const literal = issue.keys.find((k) => k in LITERAL_SETTINGS);
    if (literal) message += ` (definitions name the environment variable that holds a key or URL, e.g. ${LITERAL_SETTINGS[literal]})`;
  }
  return `${formatPath(issue.path)}: ${message}`;
}

/** The definition's data, within DEFINITION_LIMITS, without keys that pollute prototypes when `extends` merges. */
function readRaw(source: string, file: string): unknown {
  const json = extname(file) === '.json';
  try {
    if (json) return parseBoundedJson(source, DEFINITION_LIMITS);
    if (Buffer.byteLength(source, 'utf8') > DEFINITION_LIMITS.maxBytes) throw new JsonLimitError('size', '$', `larger than ${DEFINITION_LIMITS.maxBytes} bytes`);
    return enforceJsonLimits(parseYaml(source, { prettyErrors: true, maxAliasCount: MAX_YAML_ALIASES }), DEFINITION_LIMITS);
  } catch (err) {
    if (err instanceof JsonLimitError && err.reason !== 'syntax') {
      // `$.intents[2].say: ...` -> `intents[2].say: ...`, like the schema's messages.
      throw new AgentDefinitionError(file, [err.message.replace(/^\$\.?/, '').replace(/^:/, '(top level):')]);
    }
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    const message = err instanceof JsonLimitError ? err.message.replace(/^not JSON: /, '') : (err as Error).message;
    throw new AgentDefinitionError(file, [`not valid ${json ? 'JSON' : 'YAML'}${where}: ${message.split('\n')[0]}`]);
  }
}

function readFile(path: string, file: string): string {
  try {
    return readBoundedTextFile(path, DEFINITION_LIMITS.maxBytes);
  } catch (err) {
    // The limit error names the path already; the definition error names the file.
    throw new AgentDefinitionError(file, [(err as Error).message.replace(`${path}: `, '')]);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * `override` on top of `base`: objects merge key by key, anything else (lists too) replaces. A provider spec naming
 * another provider replaces the parent's whole spec (its keys mean nothing to the new provider).
 */
function merge(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override;
  if ('provider' in override && override.provider !== base.provider) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

/**
 * Validates one definition's text, of any kind; `file` names it in errors. A definition may start from another
 * (`extends: <agent name>`) and change only what differs; `base` looks that agent's raw definition up.
 */
export function parseDefinition(source: string, file: string, base?: (name: string) => unknown): AnyAgentDefinition {
  return validate(resolveExtends(readRaw(source, file), file, base, []), file);
}

/** Validates a conversational (offline) definition's text; another kind is an error. */
export function parseAgentDefinition(source: string, file: string, base?: (name: string) => unknown): AgentDefinition {
  return conversational(parseDefinition(source, file, base), file);
}

function conversational(def: AnyAgentDefinition, file: string): AgentDefinition {
  if (def.kind !== 'conversational') throw new AgentDefinitionError(file, [`kind: expected a conversational agent, got ${def.kind}`]);
  return def;
}

function resolveExtends(raw: unknown, file: string, base: ((name: string) => unknown) | undefined, chain: string[]): unknown {
  if (!isObject(raw) || raw.extends === undefined) return raw;
  const { extends: parent, ...own } = raw;
  if (typeof parent !== 'string') throw new AgentDefinitionError(file, ['extends: must be the name of another agent']);
  if (chain.includes(parent)) throw new AgentDefinitionError(file, [`extends: "${parent}" extends itself (${[...chain, parent].join(' -> ')})`]);
  const parentRaw = base?.(parent);
  if (parentRaw === undefined) throw new AgentDefinitionError(file, [`extends: no agent "${parent}"`]);
  return merge(resolveExtends(parentRaw, file, base, [...chain, parent]), own);
}

function validate(raw: unknown, file: string): AnyAgentDefinition {
  const parsed = anyAgentDefinitionSchema.safeParse(raw);
  if (!parsed.success) throw new AgentDefinitionError(file, parsed.error.issues.map(describe));
  return parsed.data;
}

export interface Loaded<D> {
  definition: D;
  /** Path relative to the working directory, for messages. */
  file: string;
}
export type LoadedDefinition = Loaded<AgentDefinition>;

/** The conversational definitions in `dir` (every file is validated; see `loadDefinitions`). */
export function loadAgentDefinitions(dir: string): LoadedDefinition[] {
  return loadDefinitions(dir).flatMap((l) => (l.definition.kind === 'conversational' ? [{ file: l.file, definition: l.definition }] : []));
}

/**
 * Every definition in `dir`, of any kind (sorted by file name). Throws on the first broken file, on two agents with
 * one name, or on a cloud agent whose `fallback` is not a conversational agent of `dir`.
 */
export function loadDefinitions(dir: string): Loaded<AnyAgentDefinition>[] {
  const files: { file: string; raw: unknown }[] = [];
  const byName = new Map<string, { file: string; raw: unknown }>();
  for (const entry of readdirSync(dir).sort()) {
    if (!EXTENSIONS.has(extname(entry)) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    const file = relative(process.cwd(), path) || basename(path);
    const item = { file, raw: readRaw(readFile(path, file), file) };
    files.push(item);
    const name = isObject(item.raw) ? item.raw.name : undefined;
    if (typeof name !== 'string') continue; // validation reports it
    const clash = byName.get(name);
    if (clash) throw new AgentDefinitionError(file, [`name: "${name}" is already defined in ${clash.file}`]);
    byName.set(name, item);
  }
  const base = (name: string) => byName.get(name)?.raw;
  const loaded = files.map(({ file, raw }) => ({ file, definition: validate(resolveExtends(raw, file, base, []), file) }));
  const kinds = new Map(loaded.map((l) => [l.definition.name, l.definition.kind]));
  for (const { file, definition: def } of loaded) {
    if (def.kind === 'conversational' || def.fallback === undefined) continue;
    const kind = kinds.get(def.fallback);
    if (kind === undefined) throw new AgentDefinitionError(file, [`fallback: no agent "${def.fallback}"`]);
    if (kind !== 'conversational') throw new AgentDefinitionError(file, [`fallback: "${def.fallback}" is a ${kind} agent; the fallback must work offline (a conversational agent)`]);
  }
  for (const { file, definition: def } of loaded) {
    if (def.kind === 'realtime') continue;
    for (const [tag, agents] of Object.entries(def.languages)) {
      const unknown = agents.find((agent) => !kinds.has(agent));
      if (unknown !== undefined) throw new AgentDefinitionError(file, [`languages.${tag}: no agent "${unknown}"`]);
    }
  }
  return loaded;
}
