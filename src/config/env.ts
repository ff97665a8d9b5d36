import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { FileLimitError, readBoundedTextFile } from '../limits/bounded-file.js';

/** Sample rates Exotel's Voicebot applet streams at (selected by `?sample-rate=` on the WebSocket URL). */
export const EXOTEL_SAMPLE_RATES = [8000, 16000, 24000] as const;
export type SampleRate = (typeof EXOTEL_SAMPLE_RATES)[number];

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const publicUrl = optionalString.refine((v) => v === undefined || /^(https?|wss?):\/\/[^\s/]+/i.test(v), {
  message: 'must be an absolute http(s):// URL, e.g. https://bot.example.com',
});

const intInRange = (def: number, min: number, max: number) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

/** One of `values` (case-insensitive), `def` when unset. */
const oneOf = <const T extends string>(def: T, values: readonly T[]) =>
  optionalString.transform((v, ctx) => {
    const mode = (v ?? def).toLowerCase() as T;
    if (!values.includes(mode)) {
      ctx.addIssue({ code: 'custom', message: `must be ${values.map((x) => `"${x}"`).join(' or ')}, got "${v}"` });
      return z.NEVER;
    }
    return mode;
  });

/** More worker processes than this on one machine is a configuration mistake, not a bigger machine. */
export const MAX_WORKERS = 64;

const schema = z.object({
  NODE_ENV: optionalString,
  PORT: intInRange(8080, 0, 65535),
  HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  WEBHOOK_BASE_URL: publicUrl,
  RENDER_EXTERNAL_URL: publicUrl,
  WS_PATH: optionalString
    .transform((v) => v ?? '/voicebot/ws')
    .refine((v) => /^\/[A-Za-z0-9._~\-/]*$/.test(v), { message: 'must be a path starting with "/", e.g. /voicebot/ws' }),
  EXOTEL_WS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters (it keys the per-call HMAC tokens)',
  }),
  EXOTEL_SAMPLE_RATE: optionalString.transform((v, ctx) => {
    const n = v === undefined ? 8000 : Number(v);
    if (!(EXOTEL_SAMPLE_RATES as readonly number[]).includes(n)) {
      ctx.addIssue({ code: 'custom', message: `must be 8000, 16000 or 24000, got "${v}"` });
      return z.NEVER;
    }
    return n as SampleRate;
  }),
  DEFAULT_AGENT: optionalString,
  DATA_DIR: optionalString.transform((v) => v ?? './data'),
  // Set: the call records live in Postgres (a fleet of nodes shares it); unset: SQLite in DATA_DIR. Never echoed unmasked.
  DATABASE_URL: optionalString.refine((v) => v === undefined || isPostgresUrl(v), {
    message: 'must be a postgres:// (or postgresql://) URL with a host, e.g. postgres://exovoice:secret@db.internal:5432/exovoice',
  }),
  // Recordings: stereo WAVs (caller left, agent right) under DATA_DIR/recordings, swept by age and total size.
  RECORD_CALLS: oneOf('off', ['off', 'on']).transform((mode) => mode === 'on'),
  RECORDING_RETENTION_DAYS: intInRange(30, 0, 36500),
  RECORDINGS_MAX_MB: intInRange(10240, 0, 100_000_000),
  PG_POOL_SIZE: intInRange(10, 1, 1000),
  // Offline recogniser (PocketSphinx): worker threads (default one per core), streaming decoders per worker, and
  // its cepstral mean normalization (batch: decode at the end of the turn; live: as the caller speaks).
  STT_WORKERS: optionalString.transform((v, ctx) => {
    if (v === undefined || v.toLowerCase() === 'auto') return availableParallelism();
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from 1 to 256 or "auto" (one per core), got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  STT_DECODERS_PER_WORKER: intInRange(8, 1, 64),
  STT_CMN: oneOf('batch', ['batch', 'live']),
  STT_LOOP_PASS: oneOf('finish', ['finish', 'stream']),
  PG_STATEMENT_TIMEOUT_MS: intInRange(5000, 100, 600_000),
  WORKERS: optionalString.transform((v, ctx) => {
    if (v === undefined) return 1;
    if (v.toLowerCase() === 'auto') return 'auto' as const;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from 1 to ${MAX_WORKERS} or "auto" (one per core), got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  DRAIN_TIMEOUT_MS: intInRange(30000, 0, 3_600_000),
  LOG_LEVEL: optionalString
    .transform((v) => (v ?? 'info').toLowerCase())
    .refine((v) => ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v), {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  LOG_FORMAT: optionalString.transform((v, ctx) => {
    const format = (v ?? 'auto').toLowerCase();
    if (format !== 'auto' && format !== 'json' && format !== 'pretty') {
      ctx.addIssue({ code: 'custom', message: `must be json, pretty or auto (pretty on a terminal, json otherwise), got "${v}"` });
      return z.NEVER;
    }
    return format as 'auto' | 'json' | 'pretty';
  }),
  OUTBOUND_LEAD_MS: intInRange(100, 0, 1000),
  MARK_TIMEOUT_MS: intInRange(3000, 100, 60000),
  WS_START_TIMEOUT_MS: intInRange(10000, 100, 120000),
  WS_FAILED_UPGRADES_PER_MIN: intInRange(20, 1, 100000),
  // Whose X-Forwarded-For we believe for the client's address. By default only proxies on loopback and private networks
  // (a load balancer in front of us): a client on the internet cannot pick its own address for the per-address limits.
  TRUST_PROXY: optionalString.transform((v, ctx): boolean | string[] => {
    const text = (v ?? 'loopback,linklocal,uniquelocal').trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    const entries = text.split(',').map((x) => x.trim()).filter(Boolean);
    const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
    const bad = entries.find((x) => !named.has(x) && !isProxyAddress(x));
    if (entries.length === 0 || bad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, false or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal; got "${bad ?? v}"`,
      });
      return z.NEVER;
    }
    return entries;
  }),
  CALLBACK_SECRET: optionalString.refine((v) => v === undefined || v.length >= 16, { message: 'must be at least 16 characters' }),
  API_KEY: optionalString.refine((v) => v === undefined || v.length >= 16, { message: 'must be at least 16 characters' }),
  EXOTEL_API_BASE_URL: publicUrl,
  EXOTEL_CONNECT_MODE: optionalString.transform((v, ctx) => {
    const mode = (v ?? 'flow').toLowerCase();
    if (mode !== 'flow' && mode !== 'voice-ai') {
      ctx.addIssue({ code: 'custom', message: `must be "flow" (dial, then run the flow with the Voicebot applet) or "voice-ai" (Connect Voice AI, stream straight to us), got "${v}"` });
      return z.NEVER;
    }
    return mode as 'flow' | 'voice-ai';
  }),
  CALLS_PER_MINUTE: intInRange(60, 1, 200),
  CALL_TIME_LIMIT_SEC: intInRange(0, 0, 14400),
  CALL_RING_TIMEOUT_SEC: intInRange(0, 0, 120),
  EXOTEL_API_KEY: optionalString,
  EXOTEL_API_TOKEN: optionalString,
  EXOTEL_SID: optionalString,
  EXOTEL_SUBDOMAIN: optionalString,
  EXOTEL_APP_ID: optionalString,
  EXOTEL_CALLER_ID: optionalString,
  REDIS_URL: optionalString.refine((v) => v === undefined || isRedisUrl(v), {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  }),
  NODE_ID: optionalString.refine((v) => v === undefined || NODE_ID_PATTERN.test(v), {
    message: 'must be 1-64 letters, digits, ".", "_" or "-"',
  }),
  // 3 s: a dead node's calls are closed within 2 periods (6 s), and a node survives a 1.5 s event-loop stall.
  HEARTBEAT_MS: intInRange(3000, 200, 60_000),
});

/** What a node id may be: it is part of Redis keys and log lines. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Every variable this schema reads (the .env.example test checks each is documented). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config {
  nodeEnv: string;
  port: number;
  host: string;
  /** Public base URL (http/https) that Exotel reaches us at, if configured; otherwise derived per request. */
  publicBaseUrl?: string;
  wsPath: string;
  wsToken?: string;
  sampleRate: SampleRate;
  defaultAgent?: string;
  dataDir: string;
  /** Postgres for the call records (instead of SQLite in dataDir). */
  databaseUrl?: string;
  recordings: {
    /** RECORD_CALLS=on: every call is recorded under <dataDir>/recordings. */
    enabled: boolean;
    /** Recordings older than this are deleted; 0 keeps them. */
    retentionDays: number;
    /** Oldest recordings are deleted beyond this total; 0: no cap. */
    maxMb: number;
  };
  /** Postgres connections per process. */
  pgPoolSize: number;
  /** The offline recogniser's decoder pool. */
  stt: { workers: number; decodersPerWorker: number; cmn: 'batch' | 'live'; loopPass: 'finish' | 'stream' };
  /** Longest one Postgres statement may run; a write that takes longer is retried later. */
  pgStatementTimeoutMs: number;
  /** Processes `exovoice serve` runs (node:cluster); `auto`: one per core; 1: this process serves, as always. */
  workers: number | 'auto';
  drainTimeoutMs: number;
  logLevel: string;
  logFormat: 'auto' | 'json' | 'pretty';
  /** How far ahead of real time the media pacer keeps Exotel's playout buffer. */
  playoutLeadMs: number;
  markTimeoutMs: number;
  /** A media socket that sends no `start` (nor media) by then is closed; Exotel's own handshake limit is 10 s. */
  wsStartTimeoutMs: number;
  /** Failed media-socket upgrades one address may make per minute before it is answered 429. */
  wsFailedUpgradesPerMin: number;
  /** Proxies whose X-Forwarded-* headers are believed (fastify trustProxy): true, false or addresses/ranges. */
  trustProxy: boolean | string[];
  /** Protects the admin API; without it the admin API answers loopback only. */
  apiKey?: string;
  /** Keys the tokens in the status-callback URLs we give Exotel (which signs nothing). */
  callbackSecret?: string;
  /** Selects fleet mode: sessions, call details, the dial limit and leases shared through Redis. */
  redisUrl?: string;
  /** This node's name in the fleet (Redis keys, the sessions list). */
  nodeId: string;
  /** How often a fleet node heartbeats its live calls to Redis. */
  heartbeatMs: number;
  exotel: {
    /** Overrides https://<subdomain> (tests point it at a local fake). */
    apiBaseUrl?: string;
    connectMode: 'flow' | 'voice-ai';
    callsPerMinute: number;
    /** 0: Exotel's default. */
    timeLimitSec: number;
    ringTimeoutSec: number;
    apiKey?: string;
    apiToken?: string;
    sid?: string;
    subdomain?: string;
    appId?: string;
    callerId?: string;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; throws a ConfigError whose message is one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseOrThrow(schema, env);
  const nodeEnv = e.NODE_ENV ?? 'development';
  const publicBaseUrl = (e.WEBHOOK_BASE_URL ?? e.RENDER_EXTERNAL_URL)?.replace(/\/+$/, '');
  if (nodeEnv === 'production' && publicBaseUrl && !/^(https|wss):/i.test(publicBaseUrl)) {
    const name = e.WEBHOOK_BASE_URL ? 'WEBHOOK_BASE_URL' : 'RENDER_EXTERNAL_URL';
    throw new ConfigError(
      `invalid configuration: ${name}: must be https:// in production (Exotel refuses plain ws:// media streams and the URL would carry call tokens in clear text), got "${publicBaseUrl}"`,
    );
  }
  return {
    nodeEnv,
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    wsPath: e.WS_PATH,
    wsToken: e.EXOTEL_WS_TOKEN,
    sampleRate: e.EXOTEL_SAMPLE_RATE,
    defaultAgent: e.DEFAULT_AGENT,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    recordings: { enabled: e.RECORD_CALLS, retentionDays: e.RECORDING_RETENTION_DAYS, maxMb: e.RECORDINGS_MAX_MB },
    pgPoolSize: e.PG_POOL_SIZE,
    stt: { workers: e.STT_WORKERS, decodersPerWorker: e.STT_DECODERS_PER_WORKER, cmn: e.STT_CMN, loopPass: e.STT_LOOP_PASS },
    pgStatementTimeoutMs: e.PG_STATEMENT_TIMEOUT_MS,
    workers: e.WORKERS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    playoutLeadMs: e.OUTBOUND_LEAD_MS,
    markTimeoutMs: e.MARK_TIMEOUT_MS,
    wsStartTimeoutMs: e.WS_START_TIMEOUT_MS,
    wsFailedUpgradesPerMin: e.WS_FAILED_UPGRADES_PER_MIN,
    trustProxy: e.TRUST_PROXY,
    apiKey: e.API_KEY,
    redisUrl: e.REDIS_URL,
    nodeId: e.NODE_ID ?? defaultNodeId(),
    heartbeatMs: e.HEARTBEAT_MS,
    callbackSecret:
      e.CALLBACK_SECRET ??
      // Without an explicit secret, derive one from a secret we already hold; never use the raw value.
      (e.EXOTEL_API_TOKEN ? createHash('sha256').update(`exovoice status callback\n${e.EXOTEL_API_TOKEN}`).digest('hex') : undefined),
    exotel: {
      apiBaseUrl: e.EXOTEL_API_BASE_URL,
      connectMode: e.EXOTEL_CONNECT_MODE,
      callsPerMinute: e.CALLS_PER_MINUTE,
      timeLimitSec: e.CALL_TIME_LIMIT_SEC,
      ringTimeoutSec: e.CALL_RING_TIMEOUT_SEC,
      apiKey: e.EXOTEL_API_KEY,
      apiToken: e.EXOTEL_API_TOKEN,
      sid: e.EXOTEL_SID,
      subdomain: e.EXOTEL_SUBDOMAIN,
      appId: e.EXOTEL_APP_ID,
      callerId: e.EXOTEL_CALLER_ID,
    },
  };
}

/** What a client of a running server (`exovoice call`) reads from the environment, by the server's own rules. */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'port' | 'apiKey'> {
  const e = parseOrThrow(schema.pick({ PORT: true, API_KEY: true }), env);
  return { port: e.PORT, apiKey: e.API_KEY };
}

function parseOrThrow<T extends z.ZodType>(s: T, env: NodeJS.ProcessEnv): z.output<T> {
  const parsed = s.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}

function isRedisUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function isPostgresUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** hostname-pid, with anything a node id may not hold replaced (hostnames can be long or odd). */
function defaultNodeId(): string {
  const pid = `-${process.pid}`;
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64 - pid.length) || 'node';
  return `${host}${pid}`;
}

/** An IP address or CIDR range, as proxy-addr (fastify's trustProxy) takes them. */
function isProxyAddress(text: string): boolean {
  const [addr, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || !addr) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** A .env file holds a few dozen short lines; anything near this is not one. */
export const MAX_DOTENV_BYTES = 64 * 1024;

/**
 * Loads `.env` from the working directory when present (at most 64 KB; Node's own parser, as
 * `process.loadEnvFile`); real environment variables win. A file that is too large or unreadable is a ConfigError
 * naming it.
 */
export function loadDotEnv(path = '.env', env: NodeJS.ProcessEnv = process.env): boolean {
  let text: string;
  try {
    text = readBoundedTextFile(path, MAX_DOTENV_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    if (err instanceof FileLimitError) throw new ConfigError(`invalid configuration: ${err.message}`);
    throw err;
  }
  for (const [name, value] of Object.entries(parseEnv(text))) if (env[name] === undefined && value !== undefined) env[name] = value;
  return true;
}
