import { QrpcError, ResetReason } from '../protocol/errors.js';
import { MAX_REQUEST_ID, type PayloadInput } from '../protocol/frame.js';
import { stderrLogger, type Logger } from '../core/logger.js';
import type { TransportName } from '../transport/types.js';
import { Binding } from './binding.js';
import { kSession, type ConnectionInfo } from './connection-info.js';
import { idList } from './id-list.js';
import { kBindingAt, kStart, kStop } from './internal.js';
import { Cluster } from './cluster/cluster.js';
import { EventEmitter } from 'node:events';
import { ServerEventRelay, kServerEvents, type ServerEventMap } from './server-events.js';
import { healthOf, type ServerHealth } from './health.js';

import type { BindingOptions, ServerOptions } from './options.js';

/** Internal (src/cluster/restart): the listening fds of every binding, in binding order. */
export const kListenerFds = Symbol.for('qrpc.listenerFds');

/**
 * A qrpc server with one or more bindings (address + handler + limits each).
 * Binding indexes are the positions in the constructor's array.
 */
export class Server extends EventEmitter<ServerEventMap> {
  /** @internal */
  readonly [kServerEvents]: ServerEventRelay;
  private readonly bindings: Binding[];
  private readonly logger: Logger;
  /** Cluster-wide pushes, lookups and rooms (through the `broker` option; this process alone without one). */
  readonly cluster: Cluster;
  private pushId = 0n;
  private shutdownCallbacks: Array<() => void> = [];
  // Lifecycle idle → listening → shutting down → closed: `listening` is set
  // from the first listen() until it fails (back to idle); `shuttingDown`
  // from the first shutdown() on (final).
  private listening: Promise<this> | null = null;
  private shuttingDown: Promise<void> | null = null;
  private closedForGood = false;
  private listened = false;

  private get isListening(): boolean {
    return this.listened && this.listening !== null;
  }

  constructor(bindings: BindingOptions[], options: ServerOptions = {}) {
    super();
    if (!Array.isArray(bindings) || bindings.length === 0) throw new QrpcError('ERR_INVALID_ARG', 'a server needs at least one binding');
    this.logger = options.logger ?? stderrLogger;
    this[kServerEvents] = new ServerEventRelay(this, this.logger);
    this.bindings = bindings.map((b, i) => new Binding(this, i, b, this.logger));
    this.cluster = new Cluster(this, options.broker ?? null, this.logger);
  }

  /**
   * Starts every binding; resolves when all listen. Idempotent: while
   * listening (or while a listen is in flight) it returns the same promise.
   * If a binding fails, the ones that came up are closed first and the server
   * is idle again (listen() may be retried). After shutdown() it rejects with
   * ERR_SHUTDOWN: a shut-down server is final.
   */
  listen(): Promise<this> {
    if (this.shuttingDown !== null) return Promise.reject(this.shutDownError());
    this.listening ??= this.listenAll();
    return this.listening;
  }

  private async listenAll(): Promise<this> {
    try {
      await this.cluster[kStart]();
    } catch (err) {
      // The broker could not be reached (ERR_BROKER): nothing listens yet, so listen() may be retried.
      this.listening = null;
      throw err;
    }
    // allSettled, not all: a binding still coming up when another fails must be closed too.
    const results = await Promise.allSettled(this.bindings.map((b) => b.listen()));
    // Binding.listen rejects with QrpcErrors only.
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      if (this.shuttingDown === null) await this.backToIdle(failed.reason as QrpcError);
      throw failed.reason;
    }
    // shutdown() began meanwhile: it closes the listeners once this settles.
    if (this.shuttingDown !== null) throw this.shutDownError();
    this.listened = true;
    return this;
  }

  /** Undoes a failed listen: closes what came up (and anything it accepted) so a retry starts clean. */
  private async backToIdle(error: QrpcError): Promise<void> {
    await Promise.all(this.bindings.map((b) => b.closeListener()));
    for (const b of this.bindings) for (const conn of [...b.connections]) conn[kSession].close(error);
    this.listening = null;
    this.listened = false;
  }

  private shutDownError(): QrpcError {
    return new QrpcError('ERR_SHUTDOWN', 'the server was shut down; create a new Server to serve again');
  }

  /** The bound address of a binding (the real port when it was 0). */
  address(bindingIndex: number = 0): { host: string; port: number; family: string } {
    return this.binding(bindingIndex).address;
  }

  /**
   * Which transport serves a binding: 'native' or 'fallback' (the selected backend) for plain TCP, 'tls'
   * for a binding with the `tls` option (node:tls on either backend: the native addon does not do TLS),
   * 'ws' for the WebSocket overlay (the `ws` library on node:http, whatever the backend).
   */
  transportOf(bindingIndex: number = 0): TransportName {
    return this.binding(bindingIndex).transportName;
  }

  /** @internal for a graceful restart */
  [kListenerFds](): Array<number | null> {
    return this.bindings.map((b) => b.listenerFd());
  }

  /** Counters of a binding. */
  stats(bindingIndex: number = 0): Readonly<Binding['stats']> & { connections: number; openStreams: number } {
    const b = this.binding(bindingIndex);
    let openStreams = 0;
    for (const info of b.connections) openStreams += info[kSession].openStreams;
    return { ...b.stats, connections: b.connections.size, openStreams };
  }

  /** @internal for the cluster layer */
  [kBindingAt](index: number): Binding {
    return this.binding(index);
  }

  /**
   * A readiness snapshot: lifecycle state, backend, and per binding its
   * address, transport, connections and the output bytes they have queued.
   * `ready` is true while listening and not shutting down.
   */
  health(): ServerHealth {
    const state = this.shuttingDown !== null ? (this.closedForGood ? 'closed' : 'shutting-down') : this.isListening ? 'listening' : 'idle';
    return healthOf(state, this.bindings);
  }

  private binding(index: number): Binding {
    const b = this.bindings[index];
    if (b === undefined) throw new QrpcError('ERR_INVALID_ARG', `no binding ${index}`);
    return b;
  }

  /** Push IDs come from one server-wide counter starting at 1 (Go's GetPushID). */
  getPushId(): bigint {
    this.pushId = this.pushId >= MAX_REQUEST_ID ? 1n : this.pushId + 1n;
    return this.pushId;
  }

  /** Calls fn for each connection of a binding; returning false stops the walk. */
  walkConn(bindingIndex: number, fn: (conn: ConnectionInfo) => boolean | void): void {
    for (const conn of [...this.binding(bindingIndex).connections]) if (fn(conn) === false) return;
  }

  /** Calls fn for each connection bound to one of `ids` (those not connected are skipped). */
  walkConnByIds(bindingIndex: number, ids: Iterable<string>, fn: (conn: ConnectionInfo) => boolean | void): void {
    const b = this.binding(bindingIndex);
    for (const id of idList(ids)) {
      const conn = b.byId(id);
      if (conn !== null && fn(conn) === false) return;
    }
  }

  getConnectionInfoById(bindingIndex: number, id: string): ConnectionInfo | null {
    return this.binding(bindingIndex).byId(id);
  }

  /** Encodes one push once and writes the same bytes to every connection of a binding; returns the count. */
  pushAll(bindingIndex: number, cmd: number, payload?: PayloadInput, flags: number = 0): number {
    const b = this.binding(bindingIndex);
    return b.broadcast(b.connections, b.preparePush(cmd, payload, flags));
  }

  /** Like pushAll, to the connections bound to `ids`. */
  pushToIds(bindingIndex: number, ids: Iterable<string>, cmd: number, payload?: PayloadInput, flags: number = 0): number {
    const b = this.binding(bindingIndex);
    const targets: ConnectionInfo[] = [];
    for (const id of idList(ids)) {
      const conn = b.byId(id);
      if (conn !== null) targets.push(conn);
    }
    return b.broadcast(targets, b.preparePush(cmd, payload, flags));
  }

  /** Throttle: stop accepting and reading on a binding (all bindings when omitted) until clearThrottle. */
  setThrottle(bindingIndex?: number): void {
    for (const b of this.select(bindingIndex)) b.setThrottle(true);
  }

  clearThrottle(bindingIndex?: number): void {
    for (const b of this.select(bindingIndex)) b.setThrottle(false);
  }

  private select(bindingIndex: number | undefined): Binding[] {
    return bindingIndex === undefined ? this.bindings : [this.binding(bindingIndex)];
  }

  /** Runs when shutdown begins. */
  onShutdown(fn: () => void): void {
    this.shutdownCallbacks.push(fn);
  }

  /**
   * Graceful drain: stop accepting; requests that arrive from now on are
   * answered with a reset (reason Shutdown); in-flight handlers finish and
   * their answers flush; then connections close. After `timeoutMs`, requests
   * still running are reset and their connections closed. Final: the server
   * cannot listen again. During a listen() it waits for it, then closes every
   * listener that came up.
   */
  shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    // Once only: a second call (even with another timeout) gets the same promise.
    this.shuttingDown ??= this.drain(options.timeoutMs ?? 10_000).then(() => {
      this.closedForGood = true;
      this[kServerEvents].closed();
    });
    return this.shuttingDown;
  }

  /** `await using server = …`: a graceful shutdown with the default deadline when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  private async drain(timeoutMs: number): Promise<void> {
    for (const fn of this.shutdownCallbacks.splice(0)) {
      try {
        fn();
      } catch (err) {
        this.logger.error({ err }, 'qrpc: onShutdown callback threw');
      }
    }
    // A listen in flight would bring listeners up after we closed them: let it settle first.
    if (this.listening !== null) await this.listening.catch(() => {});
    await Promise.all(this.bindings.map((b) => b.stopAccepting()));
    const conns = this.bindings.flatMap((b) => [...b.connections].map((info) => info[kSession]));
    for (const conn of conns) conn.beginDrain();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), timeoutMs)));
    const idle = Promise.all(conns.map((c) => c.whenIdle())).then(() => 'idle' as const);
    const outcome = await Promise.race([idle, deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      this.logger.warn({ timeoutMs }, 'qrpc: shutdown deadline reached; resetting requests still running');
      for (const conn of conns) conn.resetServedAndClose(ResetReason.Shutdown);
    }
    for (const b of this.bindings) b.flushCloses();
    for (const conn of conns) conn.closeWithNotice(ResetReason.Shutdown, new QrpcError('ERR_SHUTDOWN', 'the server shut down'));
    // A peer that never reads must not hold shutdown forever: destroy what did not close in time.
    const hard = setTimeout(() => {
      for (const conn of conns) if (!conn.isClosed) conn.transport.destroy(new QrpcError('ERR_SHUTDOWN', 'the server shut down'));
    }, Math.max(1000, timeoutMs));
    await Promise.all(conns.map((c) => c.closed));
    clearTimeout(hard);
    await this.cluster[kStop]();
  }
}
