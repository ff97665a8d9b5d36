// Every HTTP input the gateway takes (query strings, JSON, urlencoded and multipart bodies) is parsed here, within
// stated limits, into null-prototype objects without the keys that pollute prototypes. Exotel may send the
// dynamic-URL webhook and the StatusCallback in any of these encodings (protocol spec §6, §8), always small and
// flat: the limits are a few times the largest real request, so a hostile one costs little and a real one never
// trips them.
import { isPollutingKey, JsonLimitError, parseBoundedJson, type JsonLimits } from '../limits/bounded-json.js';

/** The limits, in one place (the README's limits section repeats them). */
export const HTTP_INPUT_LIMITS = {
  /** Largest body, any encoding (fastify's bodyLimit: over it is a 413). Exotel's largest, a StatusCallback with legs, is ~2 KB. */
  maxBodyBytes: 64 * 1024,
  /** Deepest JSON nesting (`{"a":{"b":1}}` is 2). Exotel's deepest is `Legs[i].x`, 3. */
  maxDepth: 8,
  /** Most keys in one object, fields in a form, or parameters in a query. */
  maxKeys: 100,
  /** Most items in one JSON array. */
  maxItems: 100,
  /** Longest value (a RecordingUrl is at most 2 KB). */
  maxStringLength: 8192,
  /** Longest key or field name. */
  maxKeyLength: 128,
  /** Longest header block of one multipart part. */
  maxPartHeaderBytes: 1024,
} as const;

const JSON_LIMITS: JsonLimits = {
  maxBytes: HTTP_INPUT_LIMITS.maxBodyBytes,
  maxDepth: HTTP_INPUT_LIMITS.maxDepth,
  maxKeys: HTTP_INPUT_LIMITS.maxKeys,
  maxItems: HTTP_INPUT_LIMITS.maxItems,
  maxStringLength: HTTP_INPUT_LIMITS.maxStringLength,
};

export type InputReason = 'syntax' | 'depth' | 'keys' | 'items' | 'string' | 'key' | 'file' | 'size' | 'format' | IdProblem;
/** Why an identifier was refused (exotel/identifiers.ts). */
type IdProblem = 'missing' | 'too-long' | 'bad-characters';

/**
 * Input the gateway refuses: answered 400 `{"error":"invalid_request","field":…,"reason":…,"message":…}`.
 * `field` is a dotted path into the input (`custom_parameters.a.b`), or `body` / `query` for the whole of it.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly statusCode = 400;
  constructor(
    readonly field: string,
    readonly reason: InputReason,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { error: 'invalid_request'; field: string; reason: InputReason; message: string } {
    return { error: 'invalid_request', field: this.field, reason: this.reason, message: this.message };
  }
}

/** A parsed form, query or multipart body: a repeated name collects its values in order. */
export type FieldMap = Record<string, string | string[]>;

/** `$.a.b[2]` -> `a.b[2]`; `$` -> `body`. */
function fieldOf(path: string, whole: string): string {
  if (path === '$') return whole;
  return path.startsWith('$.') ? path.slice(2) : path.slice(1);
}

/** A JSON body within the limits; polluting keys are dropped. */
export function parseJsonBody(text: string): unknown {
  try {
    return parseBoundedJson(text, JSON_LIMITS);
  } catch (err) {
    if (!(err instanceof JsonLimitError)) throw err;
    const field = fieldOf(err.path, 'body');
    // The message names the limit, never the value.
    const message = err.message.startsWith(err.path) ? `${field}${err.message.slice(err.path.length)}` : err.message;
    throw new InputError(field, err.reason, message);
  }
}

/** Collects fields into a null-prototype map, enforcing the per-field limits; `whole` names the input in errors. */
class FieldCollector {
  readonly fields: FieldMap = Object.create(null) as FieldMap;
  private count = 0;
  constructor(private readonly whole: string) {}

  add(key: string, value: string): void {
    if (++this.count > HTTP_INPUT_LIMITS.maxKeys) throw new InputError(this.whole, 'keys', `more than ${HTTP_INPUT_LIMITS.maxKeys} fields`);
    if (key.length > HTTP_INPUT_LIMITS.maxKeyLength) {
      throw new InputError(key.slice(0, 64), 'key', `a field name is longer than ${HTTP_INPUT_LIMITS.maxKeyLength} characters`);
    }
    if (value.length > HTTP_INPUT_LIMITS.maxStringLength) throw new InputError(key, 'string', `${key}: longer than ${HTTP_INPUT_LIMITS.maxStringLength} characters`);
    if (isPollutingKey(key)) return;
    const prior = this.fields[key];
    if (prior === undefined) this.fields[key] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else this.fields[key] = [prior, value];
  }
}

/** `a=1&b=2` (a query string or an urlencoded body) within the limits. Throws InputError. */
export function parseFormText(text: string, whole: 'query' | 'body'): FieldMap {
  if (text.length > HTTP_INPUT_LIMITS.maxBodyBytes) throw new InputError(whole, 'size', `longer than ${HTTP_INPUT_LIMITS.maxBodyBytes} bytes`);
  const out = new FieldCollector(whole);
  // URLSearchParams decodes leniently (a stray `%` stays as is) and never throws.
  for (const [k, v] of new URLSearchParams(text)) out.add(k, v);
  return out.fields;
}

const QUERY_PROBLEM = Symbol('query problem');

/**
 * The query string parser given to fastify. A router parser must not throw (fastify would crash), so input over a
 * limit comes back as an empty query carrying the error, which `queryProblem` finds and the request is refused.
 */
export function parseQueryString(text: string): FieldMap {
  try {
    return parseFormText(text, 'query');
  } catch (err) {
    const empty = Object.create(null) as FieldMap;
    Object.defineProperty(empty, QUERY_PROBLEM, { value: err, enumerable: false });
    return empty;
  }
}

export function queryProblem(query: unknown): InputError | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const problem = (query as { [QUERY_PROBLEM]?: unknown })[QUERY_PROBLEM];
  return problem instanceof InputError ? problem : undefined;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary parameter of a multipart content type (RFC 2046: 1-70 characters, maybe quoted). */
export function multipartBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))(?:\s*;|\s*$)/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new InputError('body', 'format', 'multipart body without a usable boundary parameter');
  return boundary;
}

/** The `name` of a part from its headers; a part carrying a file is refused (we take fields only). */
function partName(headers: string): string {
  let disposition: string | undefined;
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-disposition') disposition = line.slice(colon + 1);
  }
  if (!disposition || !/^\s*form-data\s*(;|$)/i.test(disposition)) throw new InputError('body', 'format', 'multipart part without Content-Disposition: form-data');
  const params = disposition.slice(disposition.indexOf('form-data') + 'form-data'.length);
  const name = /;\s*name=(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/i.exec(params);
  if (!name) throw new InputError('body', 'format', 'multipart part without a name');
  const value = name[1] !== undefined ? name[1].replace(/\\(.)/g, '$1') : name[2]!;
  if (/;\s*filename\*?=/i.test(params)) throw new InputError(value.slice(0, 64), 'file', 'file uploads are not accepted; send fields only');
  return value;
}

/**
 * A multipart/form-data body (RFC 7578), fields only, within the limits. The whole body is already in memory and
 * under bodyLimit; this walks it once. Anything malformed (no boundary, no closing delimiter, a part without a
 * name) is an InputError, never a crash.
 */
export function parseMultipart(body: Buffer, contentType: string): FieldMap {
  const boundary = multipartBoundary(contentType);
  const delimiter = Buffer.from(`--${boundary}`);
  const out = new FieldCollector('body');
  // The preamble before the first delimiter is ignored (RFC 2046).
  let at = body.indexOf(delimiter);
  if (at < 0) throw new InputError('body', 'format', 'multipart body without its boundary');
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`);
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return out.fields; // `--boundary--`: the end
    // Transport padding (spaces, tabs) may follow a delimiter, then CRLF.
    while (body[at] === 0x20 || body[at] === 0x09) at++;
    if (!body.subarray(at, at + 2).equals(CRLF)) throw new InputError('body', 'format', 'malformed multipart delimiter line');
    at += 2;
    const headerEnd = body.indexOf(HEADER_END, at);
    if (headerEnd < 0 || headerEnd - at > HTTP_INPUT_LIMITS.maxPartHeaderBytes) throw new InputError('body', 'format', 'malformed or oversized multipart part headers');
    const name = partName(body.subarray(at, headerEnd).toString('latin1'));
    const start = headerEnd + HEADER_END.length;
    const end = body.indexOf(nextDelimiter, start);
    if (end < 0) throw new InputError('body', 'format', 'multipart body without its closing boundary');
    out.add(Buffer.from(name, 'latin1').toString('utf8'), body.subarray(start, end).toString('utf8'));
    at = end + 2;
  }
}
