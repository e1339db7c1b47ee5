import { QrpcError } from '../protocol/errors.js';

/** How a request ended, as the `outcome` label. */
export type RequestOutcome =
  /** Answered (server: the handler sent its final frame; client: the first answer frame arrived). */
  | 'ok'
  /** Server: the handler threw or rejected (answered with a reset). */
  | 'error'
  /** Server: the handler ended without its final frame (answered with a reset), or the peer reset the request. */
  | 'reset'
  /** Server: no handler for the cmd. */
  | 'unknown_cmd'
  /** Server: refused during a graceful shutdown. */
  | 'shutdown'
  /** Client: the call failed; the label is the error's code (ERR_TIMEOUT, ERR_STREAM_RESET, ERR_CONN_CLOSED, ...). */
  | (string & {});

export type Direction = 'in' | 'out';

/**
 * What a binding (server) or a connection (client) reports when its `metrics`
 * option is set: Go qrpc's LatencyMetric / CounterMetric, plus the counters a
 * long-connection server wants. Every method is optional and called
 * synchronously; keep them cheap (add to a number, observe a histogram).
 * Without the option none of this runs: the engine checks one shared field.
 */
export interface MetricsHooks {
  /**
   * A request finished. Server: handler run time (Go's latency). Client: from sending to the first answer frame.
   * The clock is read once per synchronous stretch where readings could only differ by the engine's own work:
   * answers that arrived in one read share their arrival time, and a handler dispatched right after another
   * in the same stretch starts at that one's end. A call refused before it was sent reports 0 seconds.
   */
  request?(cmd: number, outcome: RequestOutcome, seconds: number): void;
  /** A reset frame arrived from the peer ('in') or was sent ('out'); `reason` is its cmd. */
  reset?(direction: Direction, reason: number): void;
  /** Push frames received ('in') or sent ('out'; a broadcast counts each recipient). */
  push?(direction: Direction, count: number): void;
  /** Frame bytes (16-byte header + payload as on the wire, before TLS / WebSocket framing) received or queued. */
  bytes?(direction: Direction, count: number): void;
  /** A connection opened (accepted, or a client socket connected). */
  connectionOpened?(): void;
  /** A connection closed; `errorCode` is its close reason's code, null for an orderly close. */
  connectionClosed?(errorCode: string | null): void;
  /** Server: a connection was kicked by a newer one binding the same id. */
  kick?(): void;
}

const noop = (): void => {};

/** The hooks with every method present (missing ones are no-ops): the engine calls them without checks. */
export type CompleteMetricsHooks = Required<MetricsHooks>;

const METHODS = ['request', 'reset', 'push', 'bytes', 'connectionOpened', 'connectionClosed', 'kick'] as const;

/** Checks a `metrics` option once (at construction) and fills the gaps; null when unset. */
export function completeMetricsHooks(hooks: MetricsHooks | null | undefined, where: string): CompleteMetricsHooks | null {
  if (hooks == null) return null;
  if (typeof hooks !== 'object') throw new QrpcError('ERR_INVALID_ARG', `${where}: metrics must be an object of hook functions (request, reset, push, bytes, ...)`);
  const complete = {} as Record<(typeof METHODS)[number], unknown>;
  for (const name of METHODS) {
    const fn = hooks[name];
    if (fn !== undefined && typeof fn !== 'function') throw new QrpcError('ERR_INVALID_ARG', `${where}: metrics.${name} must be a function`);
    // Bound so a class instance's methods keep their `this`.
    complete[name] = fn === undefined ? noop : fn.bind(hooks);
  }
  return complete as CompleteMetricsHooks;
}
