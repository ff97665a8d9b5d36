// Reads agent definition files (YAML or JSON) and validates them, with errors that name the file
// and the field, so a broken definition stops start-up with a message the author can act on.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { agentDefinitionSchema, type AgentDefinition } from './definition.js';

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

/** `intents[2].slot.ask` */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out || '(top level)';
}

function describe(issue: z.core.$ZodIssue): string {
  // A bad record key carries the key's own problem inside.
  const message = issue.code === 'invalid_key' && issue.issues.length > 0 ? issue.issues[0].message : issue.message;
  return `${formatPath(issue.path)}: ${message}`;
}

/** Validates one definition's text; `file` names it in errors. */
export function parseAgentDefinition(source: string, file: string): AgentDefinition {
  let raw: unknown;
  try {
    raw = extname(file) === '.json' ? JSON.parse(source) : parseYaml(source, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    throw new AgentDefinitionError(file, [`not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}${where}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const parsed = agentDefinitionSchema.safeParse(raw);
  if (!parsed.success) throw new AgentDefinitionError(file, parsed.error.issues.map(describe));
  return parsed.data;
}

export interface LoadedDefinition {
  definition: AgentDefinition;
  /** Path relative to the working directory, for messages. */
  file: string;
}

/** Every definition in `dir` (sorted by file name). Throws on the first broken file, or on two agents with one name. */
export function loadAgentDefinitions(dir: string): LoadedDefinition[] {
  const out: LoadedDefinition[] = [];
  const names = new Map<string, string>();
  for (const entry of readdirSync(dir).sort()) {
    if (!EXTENSIONS.has(extname(entry)) || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    const file = relative(process.cwd(), path) || basename(path);
    const definition = parseAgentDefinition(readFileSync(path, 'utf8'), file);
    const clash = names.get(definition.name);
    if (clash) throw new AgentDefinitionError(file, [`name: "${definition.name}" is already defined in ${clash}`]);
    names.set(definition.name, file);
    out.push({ definition, file });
  }
  return out;
}
