/**
 * Every failure the library reports is a QrpcError with a stable `code`.
 * Codes are part of the public API; messages are not.
 */
export type ErrorCode =
  | 'ERR_CONN_CLOSED'
  | 'ERR_STREAM_RESET'
  | 'ERR_WRITE_AFTER_CLOSE'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_INVALID_FRAME'
  | 'ERR_NO_CODEC'
  | 'ERR_CODEC'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_ID_COLLISION'
  | 'ERR_INVALID_CMD'
  | 'ERR_INVALID_ARG'
  | 'ERR_DUPLICATE_HANDLER'
  | 'ERR_UNKNOWN_CMD'
  | 'ERR_PROTOCOL'
  | 'ERR_RATE_LIMIT'
  | 'ERR_TOO_MANY_INFLIGHT'
  | 'ERR_READ_TIMEOUT'
  | 'ERR_WRITE_TIMEOUT'
  | 'ERR_STALLED_PAYLOAD'
  | 'ERR_KICKED'
  | 'ERR_REJECTED'
  | 'ERR_SHUTDOWN'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_CONNECT'
  /** A graceful restart could not hand over (the successor failed to start, exited, or was not ready in time); this process keeps serving. */
  | 'ERR_RESTART'
  /** A worker process failed to start or exited before it was ready. */
  | 'ERR_WORKER'
  | 'ERR_BACKEND'
  | 'ERR_HANDLER'
  | 'ERR_NO_MEMORY'
  | 'ERR_SOCKET'
  /** The cluster broker (e.g. Redis) cannot be reached or failed the operation: nothing is reported as sent. */
  | 'ERR_BROKER'
  /** conn.pushes(): the reader fell more than its bound behind; the iterator ends with this after the frames it holds. */
  | 'ERR_PUSH_OVERFLOW'
  /** TLS handshake or certificate failure (cause: node's tls error, whose code says which, e.g. CERT_HAS_EXPIRED). */
  | 'ERR_TLS'
  /** A typed service answered with its error cmd; the message is the remote's (e.g. "no such service"). */
  | 'ERR_REMOTE'
  /** A pipe or service message could not be marshalled, or received bytes could not be unmarshalled. */
  | 'ERR_MARSHAL'
  /** Api: no endpoint could take the call (every candidate is down, closing, or was tried); cause: the last failure. */
  | 'ERR_NO_ENDPOINT'
  /** Api: callOne/remove named an endpoint the Api does not have (Go's ErrEndPointNotExists). */
  | 'ERR_UNKNOWN_ENDPOINT';

export class QrpcError extends Error {
  readonly code: ErrorCode;
  /** For ERR_STREAM_RESET: the reason code the peer put in the reset frame's cmd. */
  readonly reason?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; reason?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QrpcError';
    this.code = code;
    if (options?.reason !== undefined) this.reason = options.reason;
  }
}

/** Reset reason codes this implementation puts in a reset frame's cmd. */
export const ResetReason = {
  /** Generic, as Go sends it: the handler ended (returned, threw, rejected) without a final frame, or the caller gave up. */
  None: 0,
  /** No handler registered for the routing cmd (our [better] reply to unknown cmds). */
  UnknownCmd: 0x0001,
  /** The server is shutting down: the request arrived during the drain, or its handler outlived the deadline. */
  /**
   * Connection-level notice (a reset of request id 0, which no request uses):
   * this connection was kicked by a newer one with the same id; it closes next.
   */
  Kicked: 0x0002,
  Shutdown: 0x0003,
} as const;
