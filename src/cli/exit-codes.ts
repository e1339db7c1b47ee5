import type { QrpcError } from '../protocol/errors.js';

/** qrpcurl's exit status, for scripts (documented in the README and in --help). */
export const ExitCode = {
  Ok: 0,
  /** A bad option or argument, or an unreadable --tls-* file. */
  Usage: 1,
  /** No connection: refused, unreachable, TLS handshake or certificate refused, connect timeout. */
  Connect: 2,
  /** --timeout passed before the answer was complete. */
  Timeout: 3,
  /** The server reset the request, or closed / shut down / kicked the connection. */
  Remote: 4,
  /** Anything else (e.g. a frame over the size limit). */
  Failure: 5,
} as const;

const REMOTE = new Set(['ERR_STREAM_RESET', 'ERR_CONN_CLOSED', 'ERR_SHUTDOWN', 'ERR_KICKED', 'ERR_SOCKET', 'ERR_NOT_CONNECTED']);

/** The exit status for an error after the connection was made. */
export function exitCodeOf(err: QrpcError): number {
  if (err.code === 'ERR_TIMEOUT') return ExitCode.Timeout;
  if (REMOTE.has(err.code)) return ExitCode.Remote;
  return ExitCode.Failure;
}
