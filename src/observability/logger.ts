import pino, { type Logger } from 'pino';
import { maskAuthorization, maskUrl } from './redact.js';

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  headers?: Record<string, unknown>;
}

export function createLogger(level: string): Logger {
  return pino({
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
  });
}
