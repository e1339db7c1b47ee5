/** What the primary and its workers say to each other over the cluster IPC channel. */

/** Environment of a worker: its slot, its module, the ports to share. */
export const WORKER_ID_ENV = 'QRPC_WORKER_ID';
export const WORKER_MODULE_ENV = 'QRPC_WORKER_MODULE';
/** JSON list, one entry per binding: the port native bindings must share (SO_REUSEPORT), or null. */
export const WORKER_PORTS_ENV = 'QRPC_WORKER_PORTS';
/**
 * JSON list, one entry per binding: the inherited fd (stdio slot) of the listening socket the
 * primary kept for this slot's native binding, to serve instead of binding a new one, or null.
 */
export const WORKER_FDS_ENV = 'QRPC_WORKER_FDS';
/** The hub's confirmTimeoutMs: a worker's broker waits that long plus a margin for the hub's answer. */
export const WORKER_CONFIRM_ENV = 'QRPC_WORKER_CONFIRM_MS';

export interface BoundBinding {
  port: number;
  /** The transport serving it: 'native' bindings share a port by SO_REUSEPORT, the others through node:cluster. */
  transport: string;
  /** The binding's listening fd in the worker (server[kListenerFds]), for the primary to keep a duplicate; null when unknown. */
  fd: number | null;
}

export type WorkerMessage =
  | { qrpc: 'worker-ready'; bindings: BoundBinding[] }
  | { qrpc: 'worker-failed'; message: string };

export type PrimaryMessage = { qrpc: 'worker-stop'; timeoutMs: number };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  const q = (m as { qrpc?: unknown } | null)?.qrpc;
  return q === 'worker-ready' || q === 'worker-failed';
}

export function isStopMessage(m: unknown): m is PrimaryMessage {
  return (m as { qrpc?: unknown } | null)?.qrpc === 'worker-stop';
}
