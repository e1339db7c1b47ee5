import type { Codec } from '../core/codec.js';
import type { Logger } from '../core/logger.js';
import type { Handler, HandlerSource } from './mux.js';
import type { Frame } from '../protocol/frame.js';
import type { QrpcError } from '../protocol/errors.js';
import type { HostPort } from '../util/address.js';
import type { ConnectionInfo } from './connection-info.js';
import type { TlsServerOptions } from '../transport/types.js';
import type { WsServerOverlay } from '../overlays/ws/options.js';
import type { Broker } from './cluster/broker.js';
import type { MetricsHooks } from '../core/metrics-hooks.js';

/** One listening address with its handler and limits (Go's ServerBinding). Durations in ms; 0 disables a limit. */
export interface BindingOptions {
  /** "host:port", ":port" (all interfaces), a port number, or { host, port }; port 0 picks a free port. */
  addr: string | number | HostPort;
  handler: HandlerSource | Handler;
  /** Codec for frames with the Codec flag (e.g. deflateRawCodec()). */
  codec?: Codec;
  /** Pushes from clients (Go's SubFunc). */
  onPush?: (frame: Frame, conn: ConnectionInfo) => void;
  /** Runs before a kicked connection is closed; may write a last frame (Go's OnKickCB). */
  onKick?: (conn: ConnectionInfo) => void | Promise<void>;
  /** Runs before any byte is read; return false to reject the connection. */
  onAccept?: (conn: ConnectionInfo) => boolean | void;
  onClose?: (conn: ConnectionInfo, error: QrpcError | null) => void;
  /** Largest accepted frame `length`; default 10 MiB. */
  maxFrameSize?: number;
  readTimeoutMs?: number;
  writeTimeoutMs?: number;
  /** Cut-off for a payload that stalls after its header; default 3000. */
  stalledPayloadMs?: number;
  /** TCP keep-alive delay; default 20000 (Go's period), 0 turns it off. */
  keepAliveMs?: number;
  noDelay?: boolean;
  /** Output bytes queued per connection above which endWrite() waits; default 1 MiB. */
  highWaterMark?: number;
  /** Kernel socket buffer sizes in bytes (native backend; 0 = system default). */
  sendBufferSize?: number;
  receiveBufferSize?: number;
  /** close() lets queued output drain this long, then destroys the connection (ERR_WRITE_TIMEOUT); default 30000. */
  closeTimeoutMs?: number;
  maxInboundFramesPerSecond?: number;
  maxInflightNonBlocking?: number;
  /** Closes per second (kicks, limit violations); default unlimited. */
  maxCloseRate?: number;
  /** Unknown cmd: answer with a reset (default) or close the connection as Go does. */
  unknownCmd?: 'reset' | 'close';
  backlog?: number;
  reusePort?: boolean;
  /**
   * Serve this already listening socket (a file descriptor inherited from the
   * process that started this one) instead of binding `addr`; set by
   * GracefulRestart's bindings(), rarely by hand.
   */
  fd?: number;
  /**
   * Serve TLS: node:tls server options (key, cert, ca, requestCert, rejectUnauthorized, ...).
   * `handshakeTimeout` defaults to 10000 here. Served by the TLS transport on either backend.
   */
  tls?: TlsServerOptions;
  /**
   * Serve qrpc over WebSocket on an HTTP listener instead of plain TCP: 'ws'
   * (path "/qrpc", any origin) or { type: 'ws', path, allowOrigin, maxUpgradeBytes }.
   * keepAliveMs is then the WebSocket ping interval (a peer silent for a whole
   * interval is cut off with ERR_READ_TIMEOUT).
   */
  overlay?: 'ws' | WsServerOverlay;
  /** Observability hooks (requests with latency, resets, pushes, bytes, connections, kicks), e.g. prometheusMetrics(...).server(). */
  metrics?: MetricsHooks;
}

export interface ServerOptions {
  logger?: Logger;
  /**
   * Makes pushToIds, pushAll, room pushes, setId's kick and id lookups (server.cluster)
   * reach every node, e.g. redisBroker({ url }). Without one they cover this process.
   */
  broker?: Broker;
}
