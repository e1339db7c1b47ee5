import { QrpcError } from '../protocol/errors.js';
import type { Frame, PayloadInput } from '../protocol/frame.js';
import { stderrLogger, type Logger } from '../core/logger.js';
import { toHandlerSource } from '../core/mux.js';
import { Session, type StreamOptions, type OpenedStream } from '../core/session.js';
import { DEFAULT_CLOSE_TIMEOUT_MS } from '../core/session-options.js';
import type { Flags } from '../protocol/flags.js';
import type { StreamWriter } from '../core/writer.js';
import { NO_WAIT_OPTIONS, type Call, type WaitOptions } from '../core/call.js';
import { DEFAULT_SOCKET_OPTIONS, connectOptions, socketOptionsFrom, type SocketOptions, type TlsPeerInfo, type Transport } from '../transport/types.js';
import type { HostPort } from '../util/address.js';
import type { ClientOptions } from './options.js';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { completeMetricsHooks, type CompleteMetricsHooks } from '../core/metrics-hooks.js';
import { emitErrorIfHeard, emitGuarded, runPushSubscriber } from '../util/emit.js';
import type { ConnectionEventMap } from './connection-events.js';
import { PushIterator, type PushIteratorOptions } from './push-iterator.js';
import { measureFailure } from './call-metrics.js';

/**
 * Picks the transport an address is dialled with: injected (not imported) so
 * the browser build can use its WebSocket without bundling the Node backends.
 */
export type TransportChooser = (address: HostPort, options: ClientOptions) => Transport;

// Ref'd: a reconnecting client keeps the process alive until close(), as socket.io and grpc-js clients do.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A client connection. Without reconnect it is one socket; with reconnect it
 * moves to a new socket (next address, round-robin) after a disconnect until
 * close() is called. Requests are odd IDs; the server's calls to us are even.
 */
export class Connection extends EventEmitter<ConnectionEventMap> {
  private readonly addresses: HostPort[];
  private readonly metrics: CompleteMetricsHooks | null;
  private pushReaders: Set<PushIterator> | null = null;
  private readonly options: ClientOptions;
  /** The defaults with the user's socket options applied (merged once, not per dial). */
  private readonly socketOptions: SocketOptions;
  private readonly logger: Logger;
  private readonly transportFor: TransportChooser;
  private session: Session<Connection> | null = null;
  private nextAddress = 0;
  private userClosed = false;
  /** closed has settled: a kick ends a reconnecting connection for good without close(). */
  private finished = false;
  private waiters: Array<{ resolve: (s: Session<Connection>) => void; reject: (e: Error) => void }> = [];
  private resolveClosed!: () => void;
  /** Settles once the connection is closed for good (after close(), or the one socket closed without reconnect). */
  readonly closed: Promise<void>;

  /** @internal use connect() */
  constructor(addresses: HostPort[], options: ClientOptions, transportFor: TransportChooser) {
    super();
    this.metrics = completeMetricsHooks(options.metrics, 'connect()');
    this.addresses = addresses;
    this.transportFor = transportFor;
    this.options = options;
    this.socketOptions = { ...DEFAULT_SOCKET_OPTIONS, ...socketOptionsFrom(options) };
    this.logger = options.logger ?? stderrLogger;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get isClosed(): boolean {
    return this.userClosed || this.finished || (this.session?.isClosed ?? true) && !this.reconnecting;
  }

  get isConnected(): boolean {
    return this.session !== null && !this.session.isClosed;
  }

  get remoteAddress(): string {
    return this.session?.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.session?.remotePort ?? 0;
  }

  /** The server's certificate and its verification, while connected over TLS; null otherwise. */
  get tls(): TlsPeerInfo | null {
    return this.session?.transport.tlsInfo?.() ?? null;
  }

  private get reconnecting(): boolean {
    return Boolean(this.options.reconnect) && !this.userClosed;
  }

  /** @internal connects to the first address that answers; rejects after one failed round. */
  async open(): Promise<this> {
    let lastError: unknown = null;
    for (let i = 0; i < this.addresses.length; i++) {
      try {
        await this.dial();
        return this;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  private async dial(): Promise<void> {
    const addr = this.addresses[this.nextAddress];
    this.nextAddress = (this.nextAddress + 1) % this.addresses.length;
    const o = this.options;
    const transport = this.transportFor(addr, o);
    // TLS under qrpc: tls:// (or the tls option) on TCP, and wss:// (or the overlay option with tls) on the WebSocket overlay.
    const secure = transport.name === 'tls' || addr.scheme === 'wss' || (transport.name === 'ws' && addr.scheme === undefined && o.tls !== undefined);
    const tls = secure ? (o.tls ?? {}) : null;
    const conn = await transport.connect(connectOptions(this.socketOptions, addr.host, addr.port, o.connectTimeoutMs ?? 10_000, tls));
    if (this.userClosed) {
      conn.destroy();
      throw new QrpcError('ERR_CONN_CLOSED', 'closed while connecting');
    }
    const session = new Session<Connection>(conn, {
      role: 'client',
      handler: toHandlerSource(o.handler),
      codec: o.codec ?? null,
      logger: this.logger,
      onPush: (frame) => this.pushed(frame),
      hooks: null,
      metrics: this.metrics,
      maxFrameSize: this.socketOptions.maxFrameSize,
      queueLimit: this.socketOptions.highWaterMark,
      closeTimeoutMs: o.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      unknownCmd: 'reset',
      maxInboundFramesPerSecond: 0,
      maxInflightNonBlocking: 0,
      nextPushId: null,
      context: null,
    });
    session.publicConnection = this;
    this.session = session;
    session.whenClosed((error) => this.onSessionClosed(session, error));
    session.start();
    for (const w of this.waiters.splice(0)) w.resolve(session);
    this.metrics?.connectionOpened();
    if (o.onConnect) {
      try {
        o.onConnect(this);
      } catch (err) {
        this.logger.error({ err }, 'qrpc: onConnect threw');
      }
    }
    emitGuarded(this, this.logger, 'connect');
  }

  /** A push: the onPush option, the 'push' event, then every pushes() reader. */
  private pushed(frame: Frame): void {
    const subscribed = runPushSubscriber(this.options.onPush, this.logger, frame, this);
    const heard = emitGuarded(this, this.logger, 'push', frame);
    const readers = this.pushReaders;
    if (readers !== null) for (const r of readers) r.offer(frame);
    else if (!heard && !subscribed) this.logger.debug({ cmd: frame.cmd, remoteAddress: this.remoteAddress }, 'qrpc: push without a subscriber dropped');
  }

  /**
   * Pushes as an async iterator (`for await (const f of conn.pushes())`), across reconnects, until the
   * connection closes for good. Bounded: a reader more than `maxBufferedBytes` behind gets what it holds,
   * then ERR_PUSH_OVERFLOW (pushes are never held back for it; the onPush option and 'push' listeners
   * still get every one). Leaving the loop stops it.
   */
  pushes(options: PushIteratorOptions = {}): AsyncIterableIterator<Frame> {
    const bound = options.maxBufferedBytes ?? this.socketOptions.highWaterMark;
    if (typeof bound !== 'number' || !(bound >= 0)) throw new QrpcError('ERR_INVALID_ARG', `maxBufferedBytes must be a number >= 0, got ${String(bound)}`);
    const reader = new PushIterator(bound, (r) => {
      this.pushReaders?.delete(r);
      if (this.pushReaders?.size === 0) this.pushReaders = null;
    });
    if (this.finished) reader.finish();
    else (this.pushReaders ??= new Set()).add(reader);
    return reader;
  }

  private onSessionClosed(session: Session<Connection>, error: QrpcError | null): void {
    if (this.options.onDisconnect) {
      try {
        this.options.onDisconnect(this, error);
      } catch (err) {
        this.logger.error({ err }, 'qrpc: onDisconnect threw');
      }
    }
    emitGuarded(this, this.logger, 'disconnect', error);
    if (error !== null) emitErrorIfHeard(this, this.logger, error);
    if (this.session !== session) return;
    // Kicked: another login took this identity; reconnecting would kick it back in turn.
    if (this.reconnecting && error?.code !== 'ERR_KICKED') {
      void this.reconnectLoop();
      return;
    }
    this.finish();
  }

  private async reconnectLoop(): Promise<void> {
    const backoff = typeof this.options.reconnect === 'object' ? (this.options.reconnect.backoffMs ?? 2000) : 2000;
    while (!this.userClosed) {
      for (let i = 0; i < this.addresses.length && !this.userClosed; i++) {
        try {
          await this.dial();
          return;
        } catch (err) {
          this.logger.debug({ err }, 'qrpc: reconnect attempt failed');
        }
      }
      // A whole round failed: callers waiting for a connection in fail-fast mode are told now.
      if (this.options.whileDisconnected !== 'wait') this.failWaiters(new QrpcError('ERR_NOT_CONNECTED', 'not connected: reconnecting'));
      await sleep(backoff);
    }
  }

  private failWaiters(error: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  private finish(): void {
    this.failWaiters(new QrpcError('ERR_CONN_CLOSED', 'the connection is closed'));
    this.resolveClosed();
    if (this.finished) return;
    this.finished = true;
    const readers = this.pushReaders;
    this.pushReaders = null;
    if (readers !== null) for (const r of readers) r.finish();
    emitGuarded(this, this.logger, 'close');
  }

  /** The live session, or ERR_NOT_CONNECTED / ERR_CONN_CLOSED. */
  private current(): Session<Connection> {
    const s = this.session;
    if (s !== null && !s.isClosing) return s;
    if (this.userClosed || !this.options.reconnect || s?.closeReason?.code === 'ERR_KICKED') {
      throw new QrpcError('ERR_CONN_CLOSED', s?.closeReason ? `the connection is closed: ${s.closeReason.message}` : 'the connection is closed', { cause: s?.closeReason ?? undefined });
    }
    throw new QrpcError('ERR_NOT_CONNECTED', 'not connected (reconnecting)');
  }

  /** Go's Request: one frame; `response` is null for a push (Flags.Push). */
  request(cmd: number, flags: typeof Flags.Push, payload?: PayloadInput): { requestId: bigint; response: null };
  request(cmd: number, flags?: number, payload?: PayloadInput): { requestId: bigint; response: Call };
  request(cmd: number, flags: number = 0, payload?: PayloadInput): { requestId: bigint; response: Call | null } {
    // With metrics, the session measures its calls (Call's settle path).
    return this.current().request(cmd, flags, payload);
  }

  /** Non-blocking request resolved with the first frame of the answer. */
  call(cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = NO_WAIT_OPTIONS): Promise<Frame> {
    const s = this.session;
    if (s !== null && !s.isClosing) return s.call(cmd, payload, options);
    return this.callDisconnected(cmd, payload, options);
  }

  /** call() without an open session: it waits for the reconnection (whileDisconnected 'wait') or fails now. */
  private callDisconnected(cmd: number, payload: PayloadInput, options: WaitOptions & { flags?: number }): Promise<Frame> {
    const metrics = this.metrics;
    if (this.options.whileDisconnected === 'wait' && this.reconnecting) {
      const next = this.nextSession(options);
      // Measured from here only if the wait fails; once connected the session measures the call from its sending.
      if (metrics !== null) measureFailure(metrics, cmd, performance.now(), next);
      return next.then((session) => session.call(cmd, payload, options));
    }
    try {
      this.current();
    } catch (err) {
      const failed = Promise.reject(err);
      if (metrics !== null) measureFailure(metrics, cmd, performance.now(), failed);
      return failed;
    }
    return this.session!.call(cmd, payload, options);
  }

  private nextSession(options: WaitOptions): Promise<Session<Connection>> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      const giveUp = (error: QrpcError) => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(error);
      };
      if (options.timeoutMs) {
        // Ref'd on purpose: while disconnected nothing else may keep the process alive until the caller hears back.
        const timer = setTimeout(() => giveUp(new QrpcError('ERR_TIMEOUT', `not connected within ${options.timeoutMs} ms`)), options.timeoutMs);
        const settle = waiter.resolve;
        waiter.resolve = (s) => {
          clearTimeout(timer);
          settle(s);
        };
      }
      options.signal?.addEventListener('abort', () => giveUp(new QrpcError('ERR_ABORTED', 'the request was aborted', { cause: options.signal!.reason })), { once: true });
    });
  }

  /** Opens a streamed request; `signal` / `timeoutMs` cover the whole exchange. */
  streamRequest(cmd: number, flags: number = 0, payload?: PayloadInput, options?: StreamOptions): OpenedStream {
    return this.current().streamRequest(cmd, flags, payload, options);
  }

  /** Client → server push (no answer); resolves with its ID once queued (rejects, never unhandled, when it cannot be sent). */
  push(cmd: number, payload?: PayloadInput, flags: number = 0): Promise<bigint> {
    let s: Session<Connection>;
    try {
      s = this.current();
    } catch (err) {
      const p = Promise.reject(err);
      p.catch(() => {});
      return p;
    }
    return s.push(cmd, payload, flags);
  }

  /** Calls and streams open on the current socket (both directions); 0 when idle or disconnected. */
  get openStreams(): number {
    return this.session?.openStreams ?? 0;
  }

  /** Why the last socket closed (null while open or after an orderly close). */
  get closeReason(): QrpcError | null {
    return this.session?.closeReason ?? null;
  }

  /** Resets a request (ours or the server's call to us) with a reason code. */
  reset(requestId: bigint, reason: number = 0): Promise<void> {
    return this.current().reset(requestId, reason);
  }

  /** `await using conn = await connect(…)`: closes when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Closes for good (no reconnect); resolves when the socket is closed. */
  close(): Promise<void> {
    if (!this.userClosed) {
      this.userClosed = true;
      const s = this.session;
      if (s !== null && !s.isClosed) s.close();
      else this.finish();
    }
    return this.closed;
  }
}
