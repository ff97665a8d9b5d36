// The part of JSON Schema tool parameters are written in, and a validator for it. Models are asked to fill in these
// schemas, but nothing makes them: a tool checks the arguments before it acts on them, and tells the model what was
// wrong so it can try again. Keywords outside the subset are rejected when the definition loads, rather than
// silently not enforced.
import { z } from 'zod';

export type JsonType = 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array';
type Scalar = string | number | boolean | null;

export interface JsonSchema {
  type?: JsonType;
  description?: string;
  title?: string;
  /** Annotations for the model; not enforced. */
  default?: unknown;
  examples?: unknown[];
  format?: string;
  enum?: Scalar[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
}

const count = z.number().int().min(0);

export const jsonSchemaSchema: z.ZodType<JsonSchema> = z.lazy(() =>
  z
    .strictObject({
      type: z.enum(['object', 'string', 'number', 'integer', 'boolean', 'array']).optional(),
      description: z.string().optional(),
      title: z.string().optional(),
      default: z.unknown().optional(),
      examples: z.array(z.unknown()).optional(),
      format: z.string().optional(),
      enum: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).min(1).optional(),
      properties: z.record(z.string(), jsonSchemaSchema).optional(),
      required: z.array(z.string()).optional(),
      additionalProperties: z.boolean().optional(),
      items: jsonSchemaSchema.optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      minLength: count.optional(),
      maxLength: count.optional(),
      pattern: z
        .string()
        .refine((p) => compiles(p), 'must be a valid regular expression')
        .optional(),
      minItems: count.optional(),
      maxItems: count.optional(),
    })
    .superRefine((s, ctx) => {
      for (const name of s.required ?? []) {
        if (!s.properties || !(name in s.properties)) ctx.addIssue({ code: 'custom', path: ['required'], message: `"${name}" is not in properties` });
      }
      if ((s.properties || s.required) && s.type !== undefined && s.type !== 'object') {
        ctx.addIssue({ code: 'custom', path: ['type'], message: `properties/required need type object, not ${s.type}` });
      }
      if (s.items && s.type !== undefined && s.type !== 'array') ctx.addIssue({ code: 'custom', path: ['type'], message: `items needs type array, not ${s.type}` });
    }),
);

/** Tool parameters: an object schema (what function-calling APIs take). */
export const parametersSchema = jsonSchemaSchema.refine((s) => s.type === 'object', { message: 'must be a JSON Schema with type: object' });

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

const MAX_PROBLEMS = 5;

/** What is wrong with `value` against `schema` (at most a few problems), empty when it fits. */
export function validateJson(schema: JsonSchema, value: unknown): string[] {
  const problems: string[] = [];
  check(schema, value, '', problems);
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a number';
  return typeof value === 'object' ? 'an object' : typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'an integer' : `a ${typeof value}`;
}

function isType(type: JsonType, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    default:
      return typeof value === type;
  }
}

function check(schema: JsonSchema, value: unknown, path: string, problems: string[]): void {
  if (problems.length >= MAX_PROBLEMS) return;
  const at = path || '(arguments)';
  const fail = (message: string) => void (problems.length < MAX_PROBLEMS && problems.push(`${at}: ${message}`));
  if (schema.type && !isType(schema.type, value)) return fail(`must be ${schema.type === 'integer' || schema.type === 'array' || schema.type === 'object' ? 'an' : 'a'} ${schema.type}, got ${describe(value)}`);
  if (schema.enum && !schema.enum.some((e) => e === value)) return fail(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) fail(`must be at least ${schema.minLength} characters`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) fail(`must be at most ${schema.maxLength} characters`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) fail(`must match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`must be ≥ ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`must be ≤ ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
    if (schema.items) value.forEach((item, i) => check(schema.items!, item, `${path}[${i}]`, problems));
  }
  if (isType('object', value)) {
    const obj = value as Record<string, unknown>;
    const props = schema.properties ?? {};
    for (const name of schema.required ?? []) {
      if (obj[name] === undefined && problems.length < MAX_PROBLEMS) problems.push(`${path ? `${path}.${name}` : name}: is required`);
    }
    for (const [name, v] of Object.entries(obj)) {
      const sub = props[name];
      const child = path ? `${path}.${name}` : name;
      if (sub) check(sub, v, child, problems);
      else if (schema.additionalProperties === false) fail(`unknown property ${name}`);
    }
  }
}
