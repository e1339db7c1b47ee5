/**
 * What passes from a running process to its successor: the listening sockets
 * as inherited file descriptors (stdio slots from FIRST_FD on, the slot before
 * is the IPC channel that carries the "ready" message), described in one
 * environment variable so the successor knows which binding each belongs to.
 */
import { QrpcError } from '../../protocol/errors.js';

export const HANDOVER_ENV = 'QRPC_INHERITED_LISTENERS';
/** stdio: 0-2 inherited, 3 the IPC channel, listeners from 4. */
export const FIRST_FD = 4;

/** The successor says it serves: the predecessor stops accepting and drains. */
export interface ReadyMessage {
  qrpc: 'restart-ready';
  pid: number;
}

export interface InheritedListener {
  /** The binding's configured address, as the predecessor wrote it (JSON of BindingOptions.addr). */
  addr: string;
  fd: number;
}

export function addressKey(addr: unknown): string {
  return JSON.stringify(addr);
}

export function isReadyMessage(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as ReadyMessage).qrpc === 'restart-ready' && typeof (m as ReadyMessage).pid === 'number';
}

/** The listeners this process inherited (none when it was not started by a restart). */
export function readInherited(env: NodeJS.ProcessEnv): InheritedListener[] {
  const raw = env[HANDOVER_ENV];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new QrpcError('ERR_INVALID_ARG', `${HANDOVER_ENV} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const valid = Array.isArray(parsed) && parsed.every((e) => typeof e?.addr === 'string' && Number.isInteger(e?.fd) && e.fd >= 0);
  if (!valid) throw new QrpcError('ERR_INVALID_ARG', `${HANDOVER_ENV} must be a list of { addr, fd }, got ${raw}`);
  return parsed as InheritedListener[];
}
