/**
 * The transport seam: the only surface the protocol core sees of a backend.
 * A backend owns sockets, frame parsing (headers validated before any payload
 * is buffered) and corked writes; it knows nothing of streams, handlers or cmds.
 *
 * Both backends (native/ and fallback/) implement exactly this and must behave
 * identically; the behavioural test suite runs against each.
 */
import type { ConnectionOptions as NodeTlsConnectionOptions, TlsOptions as NodeTlsOptions, PeerCertificate } from 'node:tls';
import type { QrpcError } from '../protocol/errors.js';

export type BackendName = 'native' | 'fallback';
/** A backend, or a transport layered on one (TLS on node:tls, the ws overlay on node:http, whichever backend is selected). */
export type TransportName = BackendName | 'tls' | 'ws';

/** Server-side TLS: node:tls server options (key, cert, ca, requestCert, rejectUnauthorized, handshakeTimeout, ...). */
export type TlsServerOptions = NodeTlsOptions;
/** Client-side TLS: node:tls connect options without the address (ca, cert, key, servername, ...). */
export type TlsClientOptions = Omit<NodeTlsConnectionOptions, 'host' | 'port' | 'path' | 'socket'>;

/** What a TLS connection knows of its peer once the handshake is done. */
export interface TlsPeerInfo {
  /** The peer's certificate (node's getPeerCertificate()), or null when it sent none. */
  peerCertificate: PeerCertificate | null;
  /** The peer certificate verified against the trusted CAs. */
  authorized: boolean;
  /** Why it did not verify (an OpenSSL code such as 'CERT_HAS_EXPIRED'), or null. */
  authorizationError: string | null;
  /** Negotiated protocol, e.g. 'TLSv1.3'. */
  protocol: string | null;
}

/** Per-socket behaviour; all durations in milliseconds, 0 disables. */
export interface SocketOptions {
  /** Largest accepted `length` header field; bigger → close with ERR_FRAME_TOO_LARGE. */
  maxFrameSize: number;
  /** Idle cut-off: no byte read for this long → close with ERR_READ_TIMEOUT. */
  readTimeoutMs: number;
  /** Queued output not taken by the kernel for this long → close with ERR_WRITE_TIMEOUT. */
  writeTimeoutMs: number;
  /** A header arrived but its payload is incomplete for this long → close with ERR_STALLED_PAYLOAD. */
  stalledPayloadMs: number;
  /** TCP keep-alive initial delay; 0 turns keep-alive off. */
  keepAliveMs: number;
  /** TCP_NODELAY. */
  noDelay: boolean;
  /** Queued output bytes above which writeFrame() returns false and onDrain() follows later. */
  highWaterMark: number;
  /**
   * Kernel socket buffers (SO_SNDBUF / SO_RCVBUF) in bytes; 0 keeps the system
   * default. Native backend only: node:net offers no way to set them on TCP
   * sockets, so the fallback leaves the system default.
   */
  sendBufferSize: number;
  receiveBufferSize: number;
}

export interface ListenOptions extends SocketOptions {
  host: string;
  port: number;
  backlog: number;
  reusePort: boolean;
  /**
   * Serve this already listening socket (inherited from the process that
   * started us, see src/cluster/restart) instead of binding host:port.
   */
  fd?: number | null;
  /** Serve TLS on this listener (TLS transport only; the backends ignore it). */
  tls?: TlsServerOptions | null;
  /** A peer failed the TLS handshake (or its certificate was refused); the listener already dropped it. */
  onHandshakeError?: ((error: QrpcError, peer: { address: string; port: number }) => void) | null;
}

export interface ConnectOptions extends SocketOptions {
  host: string;
  port: number;
  /** Covers the TCP connect and, over TLS, the handshake. */
  connectTimeoutMs: number;
  /** Dial TLS (TLS transport only; the backends ignore it). */
  tls?: TlsClientOptions | null;
}

/** What the core gives a connection to receive its events. */
export interface ConnectionHandler {
  /**
   * One call per complete frame, in arrival order. Backends deliver all frames
   * of one read wake-up in one go. `payload` stays valid and unchanged for as
   * long as it is referenced. The request id comes as its two big-endian
   * 32-bit halves, so no BigInt is made for frames that do not need one
   * (answers to our own calls); requestIdOf(idHigh, idLow) makes it.
   */
  onFrame(idHigh: number, idLow: number, flags: number, cmd: number, payload: Buffer): void;
  /** Queued output fell back below the high-water mark after writeFrame() returned false. */
  onDrain(): void;
  /**
   * Exactly once. `error` is null for an orderly close (either side); otherwise
   * a QrpcError saying why (ERR_INVALID_FRAME, ERR_FRAME_TOO_LARGE, ERR_READ_TIMEOUT,
   * ERR_WRITE_TIMEOUT, ERR_STALLED_PAYLOAD, ERR_SOCKET, or the error given to destroy()).
   */
  onClose(error: QrpcError | null): void;
}

export interface TransportConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly closed: boolean;
  /** True while queued output is above the high-water mark. */
  readonly needDrain: boolean;
  /** Output bytes queued and not yet taken by the kernel (or the WebSocket); for health snapshots, not the hot path. */
  readonly queuedOutputBytes: number;
  /**
   * Starts delivery to `handler`. Must be called synchronously inside the
   * listener's onConnection (or right after connect() resolves); nothing is
   * read from the socket before it.
   */
  attach(handler: ConnectionHandler): void;
  /**
   * Queues one frame (header encoded here); flushed once per tick. Returns
   * WRITE_QUEUED (below the high-water mark), WRITE_FULL (queued, but above
   * the mark: onDrain() follows once below it) or WRITE_CLOSED (nothing was
   * queued: the connection is closed, or end() was called). A payload shorter
   * than TRANSPORT_COPY_LIMIT is copied before this returns (callers may reuse
   * its memory); a longer one is referenced until written and must not change.
   */
  writeFrame(requestId: bigint, flags: number, cmd: number, payload: Buffer): WriteResult;
  /** Queues bytes that already are one or more encoded frames; results as writeFrame. */
  writeRaw(bytes: Buffer): WriteResult;
  /** Stop / restart reading (throttle, or the core's own inbound backpressure). */
  pause(): void;
  resume(): void;
  /** Changes the idle cut-off for this connection (0 disables). */
  setReadTimeout(ms: number): void;
  /**
   * Flushes what is queued, then closes; onClose(null) follows. `reason` is why
   * the core closes (ERR_SHUTDOWN on a server drain): TCP backends ignore it;
   * the WebSocket overlay picks its close code from it (1001 on shutdown).
   */
  end(reason?: QrpcError | null): void;
  /** Closes now, dropping queued output; onClose(error ?? null) follows. */
  destroy(error?: QrpcError): void;
  /** The TLS peer, for connections of the TLS transport (absent on plain ones). */
  tlsInfo?(): TlsPeerInfo;
}

export interface TransportListener {
  readonly host: string;
  readonly port: number;
  readonly family: string;
  /** Stop / restart accepting (throttle). */
  pause(): void;
  resume(): void;
  /** Stops accepting; connections already accepted are untouched. */
  close(): Promise<void>;
  /** The listening socket's fd, for a graceful restart to hand on (null where the transport cannot tell). */
  fd(): number | null;
}

export interface Transport {
  readonly name: TransportName;
  /** onConnection runs synchronously per accepted socket; it must attach() or destroy() the connection. */
  listen(options: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener>;
  /** Rejects with ERR_CONNECT (cause: the socket error) or ERR_TIMEOUT. */
  connect(options: ConnectOptions): Promise<TransportConnection>;
  /** Queues one encoded frame (or frames) to every open connection; returns how many took it. */
  broadcast(conns: Iterable<TransportConnection>, bytes: Buffer): number;
}

/** writeFrame / writeRaw results: the core tells "wait for drain" from "will never be sent". */
export const WRITE_QUEUED = 0;
export const WRITE_FULL = 1;
export const WRITE_CLOSED = 2;
export type WriteResult = typeof WRITE_QUEUED | typeof WRITE_FULL | typeof WRITE_CLOSED;

/** Payloads below this size are copied by writeFrame; larger ones are passed by reference (zero copy). */
export const TRANSPORT_COPY_LIMIT = 16 * 1024;

export const DEFAULT_SOCKET_OPTIONS: SocketOptions = {
  maxFrameSize: 10 * 1024 * 1024,
  readTimeoutMs: 0,
  writeTimeoutMs: 0,
  stalledPayloadMs: 3000,
  keepAliveMs: 20000,
  noDelay: true,
  highWaterMark: 1024 * 1024,
  sendBufferSize: 0,
  receiveBufferSize: 0,
};

/**
 * Connect options as one object literal with every field spelled out: built
 * by spreads, the objects of successive connects came out with different
 * hidden classes (in-object slack differs once the spread site is optimized),
 * which made every `options.x` read on the write path megamorphic.
 */
export function connectOptions(socket: SocketOptions, host: string, port: number, connectTimeoutMs: number, tls: TlsClientOptions | null = null): ConnectOptions {
  return {
    maxFrameSize: socket.maxFrameSize,
    readTimeoutMs: socket.readTimeoutMs,
    writeTimeoutMs: socket.writeTimeoutMs,
    stalledPayloadMs: socket.stalledPayloadMs,
    keepAliveMs: socket.keepAliveMs,
    noDelay: socket.noDelay,
    highWaterMark: socket.highWaterMark,
    sendBufferSize: socket.sendBufferSize,
    receiveBufferSize: socket.receiveBufferSize,
    host,
    port,
    connectTimeoutMs,
    tls,
  };
}

/** Copies the socket options a user set (undefined ones keep their defaults). */
export function socketOptionsFrom(o: Partial<SocketOptions>): Partial<SocketOptions> {
  const out: Partial<SocketOptions> = {};
  for (const key of Object.keys(DEFAULT_SOCKET_OPTIONS) as Array<keyof SocketOptions>) {
    if (o[key] !== undefined) (out as Record<string, unknown>)[key] = o[key];
  }
  return out;
}
