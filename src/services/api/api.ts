import type { ClientOptions } from '../../client/options.js';
import type { Call as Response, WaitOptions } from '../../core/call.js';
import { QrpcError, ResetReason } from '../../protocol/errors.js';
import { Flags } from '../../protocol/flags.js';
import { describeValue, type Frame, type PayloadInput } from '../../protocol/frame.js';
import { parseAddress } from '../../util/address.js';
import { Budget } from './deadline.js';
import { Endpoint, type EndpointHealth } from './endpoint.js';
import { HashRing, hashKey, type RoutingKey } from './hash-ring.js';
import type { ApiCallOptions, ApiOptions, ApiResult, EndpointStatus } from './options.js';

const DEFAULT_VIRTUAL_NODES = 160;

const NO_CALL_OPTIONS: ApiCallOptions = Object.freeze({});

function callFlags(options: { flags?: number }): number {
  const flags = (options.flags ?? 0) | Flags.NB;
  if (flags & Flags.Push) throw new QrpcError('ERR_INVALID_ARG', 'an Api call waits for an answer; a push has none');
  return flags;
}

/** A failed attempt another endpoint may take over: the frame was never written, or the caller said the request is idempotent. */
class Retryable {
  constructor(readonly error: QrpcError) {}
}

/** Errors request() throws before writing anything because the connection is going away. */
function notSent(err: unknown): boolean {
  const code = (err as QrpcError)?.code;
  return code === 'ERR_CONN_CLOSED' || code === 'ERR_NOT_CONNECTED';
}

function isShutdownReset(err: unknown): boolean {
  return (err as QrpcError)?.code === 'ERR_STREAM_RESET' && (err as QrpcError).reason === ResetReason.Shutdown;
}

function checkWeight(weight: unknown, endpoint: string): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new QrpcError('ERR_INVALID_ARG', `the weight of ${endpoint} must be a positive number, got ${describeValue(weight)}`);
  }
  return weight;
}

/**
 * Calls over several endpoints (Go's NewAPI): weighted random or
 * consistent-hash routing by key, failover, and health with re-probes. Each
 * endpoint has one connection, dialled when it joins.
 */
export class Api {
  private readonly members = new Map<string, Endpoint>();
  private readonly ring: HashRing;
  private readonly connectOptions: ClientOptions;
  private readonly health: EndpointHealth;
  private isClosed = false;
  private closing: Promise<void> | null = null;

  constructor(endpoints: string[], options: ApiOptions = {}) {
    if (!Array.isArray(endpoints)) throw new QrpcError('ERR_INVALID_ARG', `endpoints must be an array of addresses, got ${describeValue(endpoints)}`);
    const { weights, virtualNodes = DEFAULT_VIRTUAL_NODES, health = {}, ...connectOptions } = options;
    if ('reconnect' in connectOptions || 'whileDisconnected' in connectOptions) {
      throw new QrpcError('ERR_INVALID_ARG', 'Api reconnects failed endpoints itself (see health): reconnect / whileDisconnected are not accepted');
    }
    if (weights !== undefined && (!Array.isArray(weights) || weights.length !== endpoints.length)) {
      throw new QrpcError('ERR_INVALID_ARG', `weights must be an array with one weight per endpoint (${endpoints.length}), got ${describeValue(weights)}`);
    }
    if (!Number.isInteger(virtualNodes) || virtualNodes < 1) throw new QrpcError('ERR_INVALID_ARG', `virtualNodes must be a positive integer, got ${describeValue(virtualNodes)}`);
    this.ring = new HashRing(virtualNodes);
    this.connectOptions = connectOptions;
    this.health = { backoffMs: health.backoffMs ?? 200, maxBackoffMs: health.maxBackoffMs ?? 10_000 };
    // Everything is checked before the first dial: a constructor that throws leaves no connection behind.
    const seen = new Set<string>();
    const weighted = endpoints.map((e: unknown, i) => {
      this.checkNew(e, seen);
      seen.add(e);
      return { endpoint: e, weight: weights ? checkWeight(weights[i], e) : 1 };
    });
    for (const { endpoint, weight } of weighted) void this.join(endpoint, weight);
  }

  private checkNew(endpoint: unknown, alsoTaken?: Set<string>): asserts endpoint is string {
    if (typeof endpoint !== 'string') throw new QrpcError('ERR_INVALID_ARG', `an endpoint must be an address string, got ${describeValue(endpoint)}`);
    parseAddress(endpoint, '127.0.0.1');
    if (this.members.has(endpoint) || alsoTaken?.has(endpoint)) throw new QrpcError('ERR_INVALID_ARG', `endpoint ${endpoint} is already in this Api`);
  }

  private join(endpoint: string, weight: number): Promise<void> {
    const member = new Endpoint(endpoint, weight, this.connectOptions, this.health);
    this.members.set(endpoint, member);
    this.ring.set(endpoint, weight);
    return member.dial();
  }

  private member(endpoint: string): Endpoint {
    const m = this.members.get(endpoint);
    if (m === undefined) throw new QrpcError('ERR_UNKNOWN_ENDPOINT', `endpoint ${describeValue(endpoint)} is not in this Api`);
    return m;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new QrpcError('ERR_CONN_CLOSED', 'the Api is closed');
  }

  /** Settles when every endpoint's connect in progress has (each is then up or down: see status()). */
  async ready(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.settled()));
  }

  /** Adds an endpoint at run time; resolves when its first connect has settled. Keys move to it from the others (about 1/n of them). */
  add(endpoint: string, options: { weight?: number } = {}): Promise<void> {
    try {
      this.assertOpen();
      this.checkNew(endpoint);
      return this.join(endpoint, options.weight === undefined ? 1 : checkWeight(options.weight, endpoint));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Removes an endpoint at once from routing (its keys go to their ring
   * neighbours); resolves when its connection is closed, after the calls
   * already on it are answered.
   */
  remove(endpoint: string): Promise<void> {
    let m: Endpoint;
    try {
      m = this.member(endpoint);
    } catch (err) {
      return Promise.reject(err);
    }
    this.members.delete(endpoint);
    this.ring.delete(endpoint);
    return m.retire(true);
  }

  /** Every endpoint's state, in the order they joined. */
  status(): EndpointStatus[] {
    return [...this.members.values()].map((m) => m.status());
  }

  /** The endpoint a call with this key goes to now (its ring owner, or the next one up); null if none can take it. */
  route(key: RoutingKey): string | null {
    for (const name of this.ring.walk(hashKey(key))) {
      const state = this.members.get(name)!.current;
      if (state === 'up' || state === 'connecting') return name;
    }
    return null;
  }

  /**
   * A non-blocking call on one endpoint: the `key`'s on the hash ring, or a
   * weighted random one. An endpoint that is down or closing is skipped; a
   * call that could not be sent there (or, with `idempotent`, lost its
   * connection) is tried on the next, at most once per endpoint. Fails with
   * ERR_NO_ENDPOINT when none is left (cause: the last failure).
   */
  call(cmd: number, payload?: PayloadInput, options: ApiCallOptions = NO_CALL_OPTIONS): Promise<Frame> {
    let keyHash: number | null = null;
    let m: Endpoint | null;
    try {
      this.assertOpen();
      if (options.key !== undefined) keyHash = hashKey(options.key);
      m = options.timeoutMs || options.signal !== undefined ? null : keyHash === null ? this.upWeighted(null) : this.upOwner(keyHash);
    } catch (err) {
      return Promise.reject(err);
    }
    // The common case (an endpoint up now, no budget to track) is one attempt without extra promise steps.
    if (m === null) return this.callWithFailover(cmd, payload, options, keyHash, new Set(), null);
    const conn = m.usableConnection!;
    let response: Response;
    try {
      response = conn.request(cmd, callFlags(options), payload).response;
    } catch (err) {
      if (notSent(err)) return this.callWithFailover(cmd, payload, options, keyHash, new Set([m.name]), err as QrpcError);
      return Promise.reject(err);
    }
    const member = m;
    member.acquire();
    return response.frame().then(
      (frame) => {
        member.release();
        return frame;
      },
      (err: QrpcError) => {
        member.release();
        if (!this.retryableAfterSend(member, err, options)) throw err;
        return this.callWithFailover(cmd, payload, options, keyHash, new Set([member.name]), err);
      },
    );
  }

  private async callWithFailover(cmd: number, payload: PayloadInput, options: ApiCallOptions, keyHash: number | null, tried: Set<string>, lastError: QrpcError | null): Promise<Frame> {
    const budget = new Budget(options.timeoutMs, options.signal);
    for (;;) {
      const m = await (keyHash === null ? this.pickWeighted(tried, budget) : this.pickByKey(keyHash, tried, budget));
      this.assertOpen(); // close() while we waited for a connecting endpoint
      if (m === null) {
        const names = tried.size ? ` (tried ${[...tried].join(', ')})` : '';
        throw new QrpcError('ERR_NO_ENDPOINT', `no healthy endpoint for cmd ${cmd}${names}`, { cause: lastError ?? this.lastDownError() });
      }
      tried.add(m.name);
      const outcome = await this.attempt(m, cmd, payload, options, budget);
      if (!(outcome instanceof Retryable)) return outcome;
      lastError = outcome.error;
    }
  }

  /** A call on that endpoint only (Go's CallOne): ERR_UNKNOWN_ENDPOINT, ERR_NO_ENDPOINT when it is down, else the call's own outcome. */
  async callOne(endpoint: string, cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = {}): Promise<Frame> {
    this.assertOpen();
    const m = this.member(endpoint);
    const budget = new Budget(options.timeoutMs, options.signal);
    if (m.current === 'connecting') await budget.bound(m.settled());
    if (m.usableConnection === null) {
      throw new QrpcError('ERR_NO_ENDPOINT', `endpoint ${endpoint} is ${m.current}`, { cause: m.status().lastError ?? undefined });
    }
    const outcome = await this.attempt(m, cmd, payload, options, budget);
    if (outcome instanceof Retryable) throw outcome.error;
    return outcome;
  }

  /** The call on every endpoint at once (Go's CallAll): a frame or an error per endpoint, keyed by endpoint. */
  async callAll(cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = {}): Promise<Map<string, ApiResult>> {
    this.assertOpen();
    const names = [...this.members.keys()];
    const results = await Promise.all(
      names.map((name) =>
        this.callOne(name, cmd, payload, options).then(
          (frame): ApiResult => ({ frame, error: null }),
          (error: QrpcError): ApiResult => ({ frame: null, error }),
        ),
      ),
    );
    return new Map(names.map((name, i) => [name, results[i]]));
  }

  /** Closes every connection and stops the probes; calls still pending fail with ERR_CONN_CLOSED. */
  close(): Promise<void> {
    if (this.closing === null) {
      this.isClosed = true;
      const all = [...this.members.values()];
      this.closing = Promise.all(all.map((m) => m.retire(false))).then(() => undefined);
    }
    return this.closing;
  }

  /** Why endpoints are down (the first down one's last failure), for an ERR_NO_ENDPOINT that tried nothing. */
  private lastDownError(): QrpcError | undefined {
    for (const m of this.members.values()) if (m.current === 'down') return m.status().lastError ?? undefined;
    return undefined;
  }

  /** One try on one endpoint: the frame, a Retryable failure, or a thrown final error. */
  private async attempt(m: Endpoint, cmd: number, payload: PayloadInput, options: ApiCallOptions, budget: Budget): Promise<Frame | Retryable> {
    const timeoutMs = budget.remaining();
    const conn = m.usableConnection;
    if (conn === null) return new Retryable(new QrpcError('ERR_NO_ENDPOINT', `endpoint ${m.name} went ${m.current}`));
    let response: Response;
    try {
      response = conn.request(cmd, callFlags(options), payload).response;
    } catch (err) {
      if (notSent(err)) return new Retryable(err as QrpcError);
      throw err;
    }
    m.acquire();
    try {
      return await response.frame({ signal: budget.signal, timeoutMs });
    } catch (err) {
      if (this.retryableAfterSend(m, err as QrpcError, options)) return new Retryable(err as QrpcError);
      throw err;
    } finally {
      m.release();
    }
  }

  /**
   * After the frame was written the server may have run the handler: only an
   * idempotent call is retried, on a lost connection or a Shutdown reset (which
   * also marks the endpoint draining).
   */
  private retryableAfterSend(m: Endpoint, err: QrpcError, options: ApiCallOptions): boolean {
    const shutdown = isShutdownReset(err);
    if (shutdown) m.markDraining();
    return options.idempotent === true && (shutdown || err.code === 'ERR_CONN_CLOSED');
  }

  /** A weighted random endpoint that is up now and not tried (no allocation: this runs on every keyless call). */
  private upWeighted(tried: Set<string> | null): Endpoint | null {
    let total = 0;
    for (const m of this.members.values()) if (m.usableConnection !== null && !tried?.has(m.name)) total += m.weight;
    if (total === 0) return null;
    let target = Math.random() * total;
    let last: Endpoint | null = null;
    for (const m of this.members.values()) {
      if (m.usableConnection === null || tried?.has(m.name)) continue;
      last = m;
      if ((target -= m.weight) < 0) return m;
    }
    return last;
  }

  /** The key's ring owner when it is up now; null sends the call to the full walk (owner down, connecting or draining). */
  private upOwner(keyHash: number): Endpoint | null {
    const owner = this.ring.ownerOf(keyHash);
    const m = owner === null ? undefined : this.members.get(owner);
    return m !== undefined && m.usableConnection !== null ? m : null;
  }

  /** A weighted random endpoint that is up and not tried yet; waits for endpoints still connecting when none is up. */
  private async pickWeighted(tried: Set<string>, budget: Budget): Promise<Endpoint | null> {
    for (;;) {
      const up = this.upWeighted(tried);
      if (up !== null) return up;
      const connecting = [...this.members.values()].filter((m) => !tried.has(m.name) && m.current === 'connecting');
      if (connecting.length === 0) return null;
      await budget.bound(Promise.race(connecting.map((m) => m.settled())));
    }
  }

  /** The key's ring owner, or (when it is down or was tried) the next distinct endpoint clockwise that is up; a connecting one is waited for. */
  private async pickByKey(keyHash: number, tried: Set<string>, budget: Budget): Promise<Endpoint | null> {
    for (const name of this.ring.walk(keyHash)) {
      const m = this.members.get(name);
      if (m === undefined || tried.has(name)) continue;
      if (m.current === 'connecting') await budget.bound(m.settled());
      if (m.usableConnection !== null) return m;
    }
    return null;
  }
}
