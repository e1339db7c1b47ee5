import type { EventEmitter } from 'node:events';
import { QrpcError } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';
import type { Logger } from '../core/logger.js';
import { emitErrorIfHeard, emitGuarded } from '../util/emit.js';
import type { ConnectionInfo } from './connection-info.js';

/** The relay the bindings report to; for the server's own modules, not part of the public API. */
export const kServerEvents = Symbol('qrpc.serverEvents');

/** Events of a Server (node:events), in addition to the binding callbacks. */
export interface ServerEventMap {
  /** A connection was accepted (after onAccept let it in). */
  connect: [info: ConnectionInfo];
  /** A connection closed; `error` is its close reason (null for an orderly close). */
  disconnect: [info: ConnectionInfo, error: QrpcError | null];
  /** A client's push (after the binding's onPush). */
  push: [frame: Frame, info: ConnectionInfo];
  /** shutdown() finished: every connection is closed. */
  close: [];
  /** A handler threw or rejected (ERR_HANDLER, cause: what it threw); emitted only when listened to. */
  error: [error: QrpcError, info: ConnectionInfo | null];
}

/** Turns what the bindings see into the server's events. */
export class ServerEventRelay {
  constructor(
    private readonly server: EventEmitter,
    private readonly logger: Logger,
  ) {}

  connected(info: ConnectionInfo): void {
    emitGuarded(this.server, this.logger, 'connect', info);
  }

  disconnected(info: ConnectionInfo, error: QrpcError | null): void {
    emitGuarded(this.server, this.logger, 'disconnect', info, error);
  }

  /** `subscribed`: the binding has an onPush; without it or a listener the push is dropped (and logged at debug). */
  pushed(frame: Frame, info: ConnectionInfo, subscribed: boolean): void {
    const heard = emitGuarded(this.server, this.logger, 'push', frame, info);
    if (!heard && !subscribed) this.logger.debug({ cmd: frame.cmd, remoteAddress: info.remoteAddress }, 'qrpc: push without a subscriber dropped');
  }

  handlerFailed(info: ConnectionInfo, error: unknown, cmd: number): void {
    emitErrorIfHeard(this.server, this.logger, new QrpcError('ERR_HANDLER', `the handler for cmd ${cmd} failed`, { cause: error }), info);
  }

  closed(): void {
    emitGuarded(this.server, this.logger, 'close');
  }
}
