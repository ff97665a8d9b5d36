// Which Postgres errors mean "the database refuses writes" (a fault: keep the writes, retry) and of what
// kind, by SQLSTATE (https://www.postgresql.org/docs/current/errcodes-appendix.html), Node's socket error
// codes, and the driver's (pg) own messages for a connection it lost or could not make.
import type { WriteFailureKind } from './call-store.js';

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Node's errors for a TCP connection that cannot be made or was lost. */
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_SOCKET_CLOSED', 'ERR_STREAM_DESTROYED',
]);
const DRIVER_CONNECTION_MESSAGES =
  /Connection terminated|connection error and is not queryable|Client was closed|timeout exceeded when trying to connect|Query read timeout|Connection terminated due to connection timeout/i;

/** The kind of a Postgres-side failure, or undefined for an error that is not one (left to the caller). */
export function classifyPostgresError(err: unknown): WriteFailureKind | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code !== undefined && SQLSTATE.test(code)) return bySqlState(code);
  if (code !== undefined && SOCKET_ERRORS.has(code)) return 'closed';
  if (err instanceof Error && DRIVER_CONNECTION_MESSAGES.test(err.message)) return 'closed';
  return undefined;
}

function bySqlState(code: string): WriteFailureKind {
  if (code === '53100') return 'full'; // disk_full
  if (code === '57014') return 'locked'; // query_canceled: our statement_timeout
  if (code === '55P03' || code === '40P01' || code === '40001') return 'locked'; // lock_not_available, deadlock, serialization
  if (code === '53300' || code === '53400') return 'locked'; // too_many_connections, configuration_limit_exceeded
  if (code === '53200' || code === '25006') return 'io'; // out_of_memory; read_only_sql_transaction (a standby after failover)
  switch (code.slice(0, 2)) {
    case '08': // connection_exception
    case '57': // operator_intervention: admin_shutdown, crash_shutdown, cannot_connect_now
      return 'closed';
    case '53': // insufficient_resources
      return 'full';
    case '58': // system_error: io_error, undefined_file
    case 'XX': // internal_error, data_corrupted, index_corrupted
      return 'io';
    default: // 22 data exception, 23 constraint violation, 42 a statement this build got wrong...: this write
      return 'refused';
  }
}
