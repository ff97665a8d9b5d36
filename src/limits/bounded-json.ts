// JSON from outside (Exotel, HTTP clients, providers, files) parsed within stated limits. JSON.parse itself is
// iterative in V8 and safe on deep input, but everything after it that recurses (JSON.stringify, merges, our own
// walks) is not, and a few huge keys or strings cost memory long after the message. So: size first, then one
// iterative walk that enforces depth, keys per object, items per array and string length, and deletes the keys
// that pollute prototypes when objects are merged (`__proto__`, `constructor`, `prototype`).

export interface JsonLimits {
  /** Longest text accepted, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of objects/arrays; a scalar at the top is depth 0, `{}` is 1. */
  maxDepth: number;
  /** Most keys in one object. */
  maxKeys: number;
  /** Most items in one array. */
  maxItems: number;
  /** Longest string value or key, in UTF-16 code units. */
  maxStringLength: number;
}

export type JsonLimitReason = 'size' | 'syntax' | 'depth' | 'keys' | 'items' | 'string';

/** Input over a limit, or not JSON. `path` names where (`$.start.custom_parameters.x`), for the error answer. */
export class JsonLimitError extends Error {
  readonly reason: JsonLimitReason;
  readonly path: string;
  constructor(reason: JsonLimitReason, path: string, message: string) {
    super(message);
    this.name = 'JsonLimitError';
    this.reason = reason;
    this.path = path;
  }
}

const POLLUTING = new Set(['__proto__', 'constructor', 'prototype']);

/** True for the keys that must never be merged into an object. */
export function isPollutingKey(key: string): boolean {
  return POLLUTING.has(key);
}

function utf8Bytes(text: string, cap: number): number {
  // Every UTF-16 unit is 1-3 bytes: skip the count when the answer is clear either way.
  if (text.length * 3 <= cap) return text.length;
  if (text.length > cap) return text.length;
  return Buffer.byteLength(text, 'utf8');
}

function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key.slice(0, 64))}]`;
}

/**
 * Checks an already-parsed value against the limits (depth, keys, items, strings) and deletes polluting keys in
 * place. Iterative: safe on any depth. Throws JsonLimitError naming the first offending path.
 */
export function enforceJsonLimits(value: unknown, limits: Omit<JsonLimits, 'maxBytes'>, root = '$'): unknown {
  const stack: { v: unknown; depth: number; path: string }[] = [{ v: value, depth: 0, path: root }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength) throw new JsonLimitError('string', path, `${path}: string longer than ${limits.maxStringLength}`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > limits.maxDepth) throw new JsonLimitError('depth', path, `${path}: nested deeper than ${limits.maxDepth}`);
    if (Array.isArray(v)) {
      if (v.length > limits.maxItems) throw new JsonLimitError('items', path, `${path}: more than ${limits.maxItems} items`);
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], depth: depth + 1, path: pathOf(path, i) });
      continue;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length > limits.maxKeys) throw new JsonLimitError('keys', path, `${path}: more than ${limits.maxKeys} keys`);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k.length > limits.maxStringLength) throw new JsonLimitError('string', path, `${path}: key longer than ${limits.maxStringLength}`);
      if (POLLUTING.has(k)) {
        delete obj[k];
        continue;
      }
      stack.push({ v: obj[k], depth: depth + 1, path: pathOf(path, k) });
    }
  }
  return value;
}

/** Parses JSON text within the limits. Throws JsonLimitError (reason `syntax` for text that is not JSON). */
export function parseBoundedJson(text: string, limits: JsonLimits): unknown {
  if (utf8Bytes(text, limits.maxBytes) > limits.maxBytes) throw new JsonLimitError('size', '$', `larger than ${limits.maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonLimitError('syntax', '$', `not JSON: ${(err as Error).message}`);
  }
  return enforceJsonLimits(value, limits);
}

/** The same, as a result instead of a throw (for hot paths that count bad input rather than handle errors). */
export function tryParseBoundedJson(text: string, limits: JsonLimits): { ok: true; value: unknown } | { ok: false; error: JsonLimitError } {
  try {
    return { ok: true, value: parseBoundedJson(text, limits) };
  } catch (err) {
    return { ok: false, error: err as JsonLimitError };
  }
}

/** Limits for a small JSON document from a client or provider (an HTTP body, an event): generous, but finite. */
export const DEFAULT_JSON_LIMITS: JsonLimits = {
  maxBytes: 1 << 20,
  maxDepth: 32,
  maxKeys: 1000,
  maxItems: 10_000,
  maxStringLength: 256 * 1024,
};
