import { constants } from 'node:os';
import { QrpcError } from '../../protocol/errors.js';

/** serveWorkers' reloadSignal: null/undefined (none) or a signal name this process can listen for. */
export function checkReloadSignal(signal: unknown): void {
  if (signal === undefined || signal === null) return;
  const known = typeof signal === 'string' && Object.prototype.hasOwnProperty.call(constants.signals, signal);
  // SIGKILL and SIGSTOP cannot be caught: process.on() would throw.
  if (!known || signal === 'SIGKILL' || signal === 'SIGSTOP') {
    throw new QrpcError('ERR_INVALID_ARG', `reloadSignal must be null or a signal name that can be caught (e.g. 'SIGHUP'), got ${String(signal)}`);
  }
}
