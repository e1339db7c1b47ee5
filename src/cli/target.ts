import { QrpcError } from '../protocol/errors.js';
import { MAX_CMD } from '../protocol/cmd.js';

export interface Target {
  /** What connect() dials: host:port, tls://…, ws://host:port/path, wss://… */
  address: string;
  /** null: no request (only --listen-pushes). */
  cmd: number | null;
}

/** An integer option in decimal or 0x hex. */
export function parseInteger(text: string, what: string, max: number): number {
  const value = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value > max) throw new QrpcError('ERR_INVALID_ARG', `${what} must be an integer 0..${max}, got "${text}"`);
  return value;
}

/**
 * "host:port/cmd" as Go's qrpcurl; the cmd is the last path segment, so a
 * WebSocket URL keeps its own path ("ws://h:p/qrpc/5" dials ws://h:p/qrpc).
 */
export function parseTarget(text: string, cmdOptional: boolean): Target {
  const schemeEnd = text.indexOf('://');
  const slash = text.lastIndexOf('/');
  if (slash <= (schemeEnd < 0 ? -1 : schemeEnd + 2)) {
    if (cmdOptional) return { address: text, cmd: null };
    throw new QrpcError('ERR_INVALID_ARG', `cmd not specified: expected host:port/cmd, got "${text}"`);
  }
  const last = text.slice(slash + 1);
  // Listening only: "ws://h:p/rpc" names a path, not a cmd.
  if (cmdOptional && !/^(0x[0-9a-f]+|\d+)$/i.test(last)) return { address: text, cmd: null };
  return { address: text.slice(0, slash), cmd: parseInteger(last, 'cmd', MAX_CMD) };
}
