import type { ClientOptions } from '../../client/options.js';
import type { WaitOptions } from '../../core/call.js';
import type { Frame } from '../../protocol/frame.js';
import type { QrpcError } from '../../protocol/errors.js';
import type { RoutingKey } from './hash-ring.js';

export interface HealthOptions {
  /** First wait before re-probing (reconnecting to) an endpoint that failed; doubles per failed probe. Default 200. */
  backoffMs?: number;
  /** Upper bound of that wait. Default 10000. */
  maxBackoffMs?: number;
}

/**
 * Options of `new Api(endpoints, options)`: the connection options every
 * endpoint's connection gets (Go's ConnectionConfig), plus routing and health.
 * `reconnect` is not accepted: the Api reconnects failed endpoints itself (health).
 */
export interface ApiOptions extends Omit<ClientOptions, 'reconnect' | 'whileDisconnected'> {
  /** One weight per endpoint, in order (Go's weights): the share of `call()`s without a key, and of ring points. Default 1 each. */
  weights?: number[];
  /** Points per unit of weight on the consistent-hash ring. Default 160. */
  virtualNodes?: number;
  health?: HealthOptions;
}

export interface ApiCallOptions extends WaitOptions {
  /** Route by consistent hashing of this key (the same key reaches the same endpoint while it is healthy) instead of weighted random. */
  key?: RoutingKey;
  /**
   * The request may run twice: after a send, a connection lost (or a server
   * reset during its shutdown) is retried on another endpoint too. Without it,
   * only a call whose frame was never written is retried.
   */
  idempotent?: boolean;
  /** Extra flags besides NB (e.g. Flags.Codec). */
  flags?: number;
}

/** `callAll()`'s answer per endpoint (Go's APIResult): the frame, or why there is none. */
export type ApiResult = { frame: Frame; error: null } | { frame: null; error: QrpcError };

export type EndpointState = 'connecting' | 'up' | 'draining' | 'down';

/** What `api.status()` reports per endpoint. */
export interface EndpointStatus {
  endpoint: string;
  weight: number;
  state: EndpointState;
  /** Failed connects in a row (0 while up). */
  failures: number;
  /** Why it last went down (null if it never did). */
  lastError: QrpcError | null;
}
