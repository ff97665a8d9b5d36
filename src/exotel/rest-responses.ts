import { z } from 'zod';
import { kindForStatus, type Failure } from './rest-errors.js';

/**
 * Reading Exotel's REST answers liberally: JSON when it says so, a RestException in JSON or XML even under
 * a 2xx status, an HTML page from a proxy; a Call whose fields may be strings, numbers or null.
 */

export type CallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'failed' | 'busy' | 'no-answer' | 'canceled';

const text = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null ? null : String(v)));

const count = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === null || v === '') return null;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

const legSchema = z.object({
  Leg: z.object({ Id: count, OnCallDuration: count, Status: text, AnsweredBy: text }),
});

const detailsSchema = z.object({
  ConversationDuration: count,
  Leg1Status: text,
  Leg2Status: text,
  Legs: z.array(legSchema).optional().transform((v) => v ?? []),
});

// Status stays an open string: a status word we do not know yet must not turn a placed call into an error.
const callSchema = z.object({
  Sid: z.string().min(1),
  ParentCallSid: text,
  DateCreated: text,
  DateUpdated: text,
  AccountSid: text,
  To: text,
  From: text,
  PhoneNumberSid: text,
  Status: z.string().min(1),
  StartTime: text,
  EndTime: text,
  Duration: count,
  Price: text,
  Direction: text,
  AnsweredBy: text,
  ForwardedFrom: text,
  CallerName: text,
  Uri: text,
  RecordingUrl: text,
  Details: detailsSchema.optional(),
});

const callResponseSchema = z.object({ Call: callSchema });

/** A call as Exotel describes it (same field names as its JSON); durations are numbers, empty values null. */
export type ExotelCall = Omit<z.output<typeof callSchema>, 'Status'> & { Status: CallStatus | (string & {}) };
export type ExotelCallDetails = z.output<typeof detailsSchema>;

/** `{ Call: … }` from a parsed JSON answer, or a bad-response failure naming what is wrong. */
export function parseCallAnswer(body: unknown): { call: ExotelCall } | { failure: Failure } {
  const parsed = callResponseSchema.safeParse(body);
  if (parsed.success) return { call: parsed.data.Call };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return { failure: { kind: 'bad-response', detail: `answer is not a Call: ${issues}; got ${snippet(JSON.stringify(body))}` } };
}

export interface HttpAnswer {
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  raw: string;
}

/** The JSON of a successful answer, or the failure it reports (error status, RestException, not JSON). */
export function interpretAnswer(answer: HttpAnswer): { json: unknown } | { failure: Failure } {
  const { status, raw } = answer;
  const json = parseJson(raw);
  const problem = json !== undefined ? restException(json) : errorFromMarkup(raw);
  const ok = status >= 200 && status < 300;
  if (ok && !(json !== undefined && problem)) {
    if (json !== undefined) return { json };
    const type = answer.contentType ?? 'no content type';
    return { failure: { kind: 'bad-response', detail: `expected JSON, got ${type}: ${snippet(raw)}`, httpStatus: status } };
  }
  // Exotel sometimes reports an error inside a 2xx answer: its own Status then says what kind it is.
  const httpStatus = ok ? Number(problem?.status) || status : status;
  const kind = kindForStatus(httpStatus);
  const retryAfterSec = kind === 'rate-limited' ? parseRetryAfter(answer.retryAfter) : undefined;
  const message = problem?.message ?? (raw.trim() ? snippet(raw) : 'empty body');
  const code = problem?.code !== undefined ? ` [code ${problem.code}]` : '';
  const wait = retryAfterSec !== undefined ? ` (retry after ${retryAfterSec} s)` : '';
  return {
    failure: {
      kind,
      detail: `${message}${code}${wait}`,
      httpStatus,
      exotelMessage: problem?.message,
      exotelCode: problem?.code,
      retryAfterSec,
    },
  };
}

function parseJson(raw: string): unknown {
  const t = raw.trimStart();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

interface Problem {
  status?: string | number;
  message?: string;
  code?: string | number;
}

function restException(json: unknown): Problem | undefined {
  if (!json || typeof json !== 'object' || !('RestException' in json)) return undefined;
  const ex = (json as { RestException: unknown }).RestException;
  if (!ex || typeof ex !== 'object') return { message: String(ex) };
  const { Status, Message, Code } = ex as Record<string, unknown>;
  return {
    status: typeof Status === 'number' || typeof Status === 'string' ? Status : undefined,
    message: typeof Message === 'string' ? Message : undefined,
    code: typeof Code === 'number' || typeof Code === 'string' ? Code : undefined,
  };
}

/** `<RestException>` in XML, or the title/text of an HTML error page from a proxy. */
function errorFromMarkup(raw: string): Problem | undefined {
  const tag = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'i').exec(raw)?.[1]?.trim();
  if (/<RestException>/i.test(raw)) {
    const message = tag('Message');
    return { status: tag('Status'), message: message && decodeEntities(message), code: tag('Code') };
  }
  if (/<html[\s>]/i.test(raw)) {
    const title = tag('title') ?? tag('h1');
    return { message: `HTML page: ${decodeEntities(title ?? snippet(raw.replace(/<[^>]*>/g, ' ')))}` };
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

function snippet(s: string, max = 200): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
