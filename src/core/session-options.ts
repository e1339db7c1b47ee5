import type { Frame } from '../protocol/frame.js';
import type { QrpcError } from '../protocol/errors.js';
import type { Codec } from './codec.js';
import type { Logger } from './logger.js';
import type { HandlerSource } from './mux.js';
import type { CompleteMetricsHooks } from './metrics-hooks.js';

export type Role = 'server' | 'client';

/** What the layer above a session (a server binding, a client connection) is told. */
export interface SessionHooks<C> {
  /** The connection closed; runs before the connection's own close callbacks. */
  closed(connection: C, error: QrpcError | null): void;
  /** A request named a cmd without a handler. */
  unknownCmd(connection: C): void;
  /** A handler threw or rejected (already logged; the request was answered with a reset). */
  handlerFailed(connection: C, error: unknown, cmd: number): void;
}

/** Shared by every session of a binding (or a client connection): never mutated. */
export interface SessionOptions<C = unknown> {
  role: Role;
  /** Requests from the peer; on a client, only even-ID non-blocking requests are accepted, and only with a handler. */
  handler: HandlerSource<any> | null;
  codec: Codec | null;
  logger: Logger;
  /** Push frames from the peer. */
  onPush: ((frame: Frame, connection: C) => void) | null;
  hooks: SessionHooks<C> | null;
  /** What a request for an unregistered cmd gets: a reset (default) or, as in Go, a closed connection. */
  unknownCmd: 'reset' | 'close';
  /** 0 = unlimited. Exceeded → the connection is closed (ERR_RATE_LIMIT). */
  maxInboundFramesPerSecond: number;
  /** 0 = unlimited. Exceeded → the connection is closed (ERR_TOO_MANY_INFLIGHT). */
  maxInflightNonBlocking: number;
  /** Largest frame `length` this side sends (the same limit it accepts): bigger writes fail with ERR_FRAME_TOO_LARGE. */
  maxFrameSize: number;
  /** Bytes of continuation frames one stream may hold unread before reading pauses (the high-water mark). */
  queueLimit: number;
  /** How long close() lets queued output drain before it destroys the connection (ERR_WRITE_TIMEOUT). */
  closeTimeoutMs: number;
  /** Push IDs: the server's counter; a client takes them from its request IDs, as Go does. */
  nextPushId: (() => bigint) | null;
  /** The `metrics` option, completed; null when unset (then nothing is measured). */
  metrics: CompleteMetricsHooks | null;
  /** What the layer above shares among all sessions of these options (the server's Binding), so no session carries it. */
  context: unknown;
}

/** close() flushes for at most this long by default (a peer that never reads must not hold it forever). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;
