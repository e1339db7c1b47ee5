import type { QrpcError } from '../protocol/errors.js';
import type { Frame } from '../protocol/frame.js';

/** Events of a client Connection (node:events), in addition to the option callbacks. */
export interface ConnectionEventMap {
  /** A socket connected (the first one, and every reconnect). */
  connect: [];
  /** A socket closed; `error` is its close reason (null for an orderly close). With reconnect, another may follow. */
  disconnect: [error: QrpcError | null];
  /** A push from the server (after the onPush option). */
  push: [frame: Frame];
  /** Closed for good (close(), or the socket closed without reconnect): `conn.closed` settles. */
  close: [];
  /** A socket closed with an error (the same as disconnect's); emitted only when listened to. */
  error: [error: QrpcError];
}
