import type { EventEmitter } from 'node:events';
import type { Logger } from '../core/logger.js';

/**
 * Emits an event from inside the library: a listener that throws is logged
 * and must not break the library's own bookkeeping (emit() would rethrow into
 * the accept, close or read path that called it).
 */
export function emitGuarded(emitter: EventEmitter, logger: Logger, event: string, ...args: unknown[]): boolean {
  try {
    return emitter.emit(event, ...args);
  } catch (err) {
    logger.error({ err, event }, `qrpc: a '${event}' listener threw`);
    return true;
  }
}

/**
 * 'error' is emitted only when someone listens: every such error is also
 * logged and reported where it belongs (a close reason, a reset answer), so
 * EventEmitter's throw-when-unheard rule would turn what is a logged event
 * today into a crash of the process.
 */
export function emitErrorIfHeard(emitter: EventEmitter, logger: Logger, error: Error, ...args: unknown[]): void {
  if (emitter.listenerCount('error') > 0) emitGuarded(emitter, logger, 'error', error, ...args);
}

/** Runs an onPush option (a subscriber's throw is logged, never the reader's problem); returns whether there was one. */
export function runPushSubscriber<F extends { cmd: number }, C extends { readonly remoteAddress: string }>(
  onPush: ((frame: F, conn: C) => void) | undefined,
  logger: Logger,
  frame: F,
  conn: C,
): boolean {
  if (onPush === undefined) return false;
  try {
    onPush(frame, conn);
  } catch (err) {
    logger.error({ err, cmd: frame.cmd, remoteAddress: conn.remoteAddress }, 'qrpc: push subscriber threw');
  }
  return true;
}
