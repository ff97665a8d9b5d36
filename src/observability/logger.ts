import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { maskAuthorization, maskUrl } from './redact.js';

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

/** `auto`: human-readable lines on a terminal, JSON (one object a line, for log collectors) otherwise. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  format?: LogFormat;
  /** Where lines go (default stdout); `auto` asks it whether it is a terminal. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The format `auto` stands for on this destination. */
export function resolveLogFormat(format: LogFormat, destination: { isTTY?: boolean } = process.stdout): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return destination.isTTY ? 'pretty' : 'json';
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? process.stdout;
  const format = resolveLogFormat(options.format ?? 'auto', destination);
  // Redaction and serializers run before either format, so secrets are masked in both.
  const stream: DestinationStream | undefined =
    format === 'pretty'
      ? // In-process and synchronous: a terminal is for one person watching, and no line is lost on exit.
        pretty({ destination, sync: true, colorize: Boolean(destination.isTTY), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : // pino's own stdout writer (synchronous) unless told otherwise.
        (options.destination as DestinationStream | undefined);
  const settings: pino.LoggerOptions = {
    level,
    redact: { paths: ['*.authorization', '*.headers.authorization', '*.headers["x-api-key"]', 'token', '*.token'], censor: '***' },
    serializers: {
      req: (req: RequestLike) => ({
        method: req.method,
        url: req.url ? maskUrl(req.url) : undefined,
        ip: req.ip,
        auth: maskAuthorization(req.headers?.authorization as string | undefined),
      }),
      err: pino.stdSerializers.err,
    },
  };
  return stream ? pino(settings, stream) : pino(settings);
}
