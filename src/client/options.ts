import type { Codec } from '../core/codec.js';
import type { Logger } from '../core/logger.js';
import type { Handler, HandlerSource } from '../core/mux.js';
import type { Frame } from '../protocol/frame.js';
import type { QrpcError } from '../protocol/errors.js';
import type { Connection } from './connection.js';
import type { TlsClientOptions } from '../transport/types.js';
import type { WsClientOverlay } from '../overlays/ws/options.js';
import type { MetricsHooks } from '../core/metrics-hooks.js';

export interface ReconnectOptions {
  /** Wait after a full round of failed addresses (Go: 2 s). */
  backoffMs?: number;
  /** Shuffle the addresses once, then try them round-robin (default true, as Go). */
  shuffle?: boolean;
}

/** Client connection options (Go's ConnectionConfig). Durations in ms; 0 disables. */
export interface ClientOptions {
  /** Handles requests the server sends to this client (even IDs, non-blocking); `req.connection` is this Connection. */
  handler?: HandlerSource<any> | Handler<any>;
  /** Pushes from the server. */
  onPush?: (frame: Frame, conn: Connection) => void;
  codec?: Codec;
  logger?: Logger;
  connectTimeoutMs?: number;
  maxFrameSize?: number;
  readTimeoutMs?: number;
  writeTimeoutMs?: number;
  stalledPayloadMs?: number;
  keepAliveMs?: number;
  noDelay?: boolean;
  highWaterMark?: number;
  /** Kernel socket buffer sizes in bytes (native backend; 0 = system default). */
  sendBufferSize?: number;
  receiveBufferSize?: number;
  /** close() lets queued output drain this long, then destroys the connection (ERR_WRITE_TIMEOUT); default 30000. */
  closeTimeoutMs?: number;
  /** Reconnect after a disconnect, trying every address (Go's NewConnectionWithReconnect). */
  reconnect?: boolean | ReconnectOptions;
  /** While reconnecting, call() waits for the next connection or fails at once (default 'fail'). */
  whileDisconnected?: 'wait' | 'fail';
  /**
   * Dial TLS (also implied by a tls:// address): node:tls connect options such as ca, cert, key,
   * servername. connectTimeoutMs covers the handshake.
   */
  tls?: TlsClientOptions;
  onConnect?: (conn: Connection) => void;
  onDisconnect?: (conn: Connection, error: QrpcError | null) => void;
  /**
   * Dial host:port addresses over the WebSocket overlay ('ws' → path "/qrpc",
   * or { type: 'ws', path }); ws://host:port/path addresses need no option.
   * keepAliveMs is then the WebSocket ping interval.
   */
  overlay?: 'ws' | WsClientOverlay;
  /** Observability hooks (calls with latency to the first answer frame, resets, pushes, bytes, connections), e.g. prometheusMetrics(...).client(). */
  metrics?: MetricsHooks;
}
