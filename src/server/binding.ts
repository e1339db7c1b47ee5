import { QrpcError, ResetReason } from '../protocol/errors.js';
import { toHandlerSource } from '../core/mux.js';
import { RateLimitedRunner } from '../core/rate.js';
import type { Logger } from '../core/logger.js';
import type { ListenOptions, Transport, TransportName, TransportConnection, TransportListener } from '../transport/types.js';
import { Flags } from '../protocol/flags.js';
import { assertCmd } from '../protocol/cmd.js';
import { DEFAULT_MAX_FRAME_SIZE, MIN_LENGTH, describeValue, encodeFrame, toPayload, type PayloadInput } from '../protocol/frame.js';
import type { BrokerPush } from './cluster/broker.js';
import { kConnectionClosed, kIdBound } from './internal.js';
import { DEFAULT_SOCKET_OPTIONS, socketOptionsFrom } from '../transport/types.js';
import { parseAddress } from '../util/address.js';
import type { SessionOptions } from '../core/session.js';
import { ConnectionInfo, kSession } from './connection-info.js';
import { DEFAULT_CLOSE_TIMEOUT_MS } from '../core/session-options.js';
import { transportFor } from './transport-choice.js';
import { announceFallback } from '../core/backend-notice.js';
import type { BindingOptions } from './options.js';
import type { Server } from './server.js';
import { kServerEvents } from './server-events.js';
import { runPushSubscriber } from '../util/emit.js';
import { completeMetricsHooks, type CompleteMetricsHooks } from '../core/metrics-hooks.js';
import type { Frame } from '../protocol/frame.js';
import type { BindingHealth } from './health.js';

/** One listening address of a server: its connections, IDs, limits and listener. */
export class Binding {
  readonly server: Server;
  readonly index: number;
  readonly options: BindingOptions;
  readonly connections = new Set<ConnectionInfo>();
  /** tlsErrors: peers dropped in the TLS handshake (bad or missing certificate, not TLS, timeout); 0 on plain bindings. */
  readonly stats = { accepted: 0, rejected: 0, kicked: 0, unknownCmds: 0, tlsErrors: 0 };
  private readonly ids = new Map<string, ConnectionInfo>();
  private readonly closer: RateLimitedRunner;
  private readonly logger: Logger;
  /** The binding's `metrics` option, completed (null when unset). */
  readonly metrics: CompleteMetricsHooks | null;
  private readonly sessionOptions: SessionOptions<ConnectionInfo>;
  private listener: TransportListener | null = null;
  private chosen: Transport | null = null;
  private throttled = false;
  private draining = false;

  constructor(server: Server, index: number, options: BindingOptions, logger: Logger) {
    this.server = server;
    this.index = index;
    this.options = options;
    this.logger = logger;
    const handler = toHandlerSource(options.handler);
    if (handler === null) throw new QrpcError('ERR_INVALID_ARG', `binding ${index} has no handler`);
    this.closer = new RateLimitedRunner(options.maxCloseRate ?? 0);
    this.metrics = completeMetricsHooks(options.metrics, `binding ${index}`);
    // One options object (and one set of closures) for all connections of the binding: ~230 bytes less per idle connection.
    this.sessionOptions = {
      role: 'server',
      handler,
      codec: options.codec ?? null,
      logger,
      onPush: (frame, info) => this.pushed(frame, info),
      hooks: {
        closed: (info, error) => this.untrack(info, error),
        unknownCmd: () => {
          this.stats.unknownCmds++;
        },
        handlerFailed: (info, error, cmd) => server[kServerEvents].handlerFailed(info, error, cmd),
      },
      metrics: this.metrics,
      maxFrameSize: options.maxFrameSize ?? DEFAULT_SOCKET_OPTIONS.maxFrameSize,
      queueLimit: options.highWaterMark ?? DEFAULT_SOCKET_OPTIONS.highWaterMark,
      closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
      unknownCmd: options.unknownCmd ?? 'reset',
      maxInboundFramesPerSecond: options.maxInboundFramesPerSecond ?? 0,
      maxInflightNonBlocking: options.maxInflightNonBlocking ?? 0,
      nextPushId: () => server.getPushId(),
      context: this,
    };
  }

  get address(): { host: string; port: number; family: string } {
    if (this.listener === null) throw new QrpcError('ERR_INVALID_ARG', `binding ${this.index} is not listening`);
    return { host: this.listener.host, port: this.listener.port, family: this.listener.family };
  }

  /** The transport serving this binding (chosen at listen: the backend, or an overlay's). */
  get transport(): Transport | null {
    return this.chosen;
  }

  /** Which transport serves (or will serve) this binding; the choice depends on the options only. */
  get transportName(): TransportName {
    return (this.chosen ??= transportFor(this.options)).name;
  }

  async listen(): Promise<void> {
    // A second listener would replace this one unclosed (the process would never exit).
    if (this.listener !== null) throw new QrpcError('ERR_INVALID_ARG', `binding ${this.index} is already listening`);
    const transport = (this.chosen ??= transportFor(this.options));
    announceFallback(transport, this.logger);
    const o = this.options;
    const { host, port, scheme } = parseAddress(o.addr, '0.0.0.0');
    if (scheme === 'tls' && !o.tls) throw new QrpcError('ERR_INVALID_ARG', `binding ${this.index}: a tls:// address needs the tls option (key, cert, ...)`);
    const listenOptions: ListenOptions = {
      ...DEFAULT_SOCKET_OPTIONS,
      host,
      port,
      backlog: o.backlog ?? 511,
      reusePort: o.reusePort ?? false,
      // Only when set: the listener's options object is shared by its connections, keep its usual shape.
      ...(o.fd !== undefined ? { fd: o.fd } : {}),
      ...socketOptionsFrom(o),
      tls: o.tls ?? null,
      onHandshakeError: (error, peer) => this.handshakeFailed(error, peer),
    };
    try {
      this.listener = await transport.listen(listenOptions, (conn) => this.accept(conn));
    } catch (err) {
      // e.g. a failed name lookup: still an ERR_SOCKET that names the address.
      if (err instanceof QrpcError) throw err;
      throw new QrpcError('ERR_SOCKET', `listen ${host}:${port}: ${(err as Error).message}`, { cause: err });
    }
    if (this.throttled) this.listener.pause();
  }

  /**
   * A peer failed the TLS handshake and was dropped (the server carries on): counted, and logged at warn
   * when its certificate was refused (worth an operator's look), at debug otherwise (scanners, plain-TCP
   * clients, timeouts, disconnects are routine on a public port).
   */
  private handshakeFailed(error: QrpcError, peer: { address: string; port: number }): void {
    this.stats.tlsErrors++;
    const code = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? null;
    const certificate = code !== null && !/^(ERR_|E[A-Z]+$)/.test(code) || code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
    const fields = { err: error, code, remoteAddress: peer.address, remotePort: peer.port, bindingIndex: this.index };
    if (certificate) this.logger.warn(fields, 'qrpc: TLS client certificate refused');
    else this.logger.debug(fields, 'qrpc: TLS handshake failed');
  }

  private accept(transport: TransportConnection): void {
    const o = this.options;
    const info = new ConnectionInfo(transport, this.sessionOptions);
    if (this.draining) {
      transport.destroy(new QrpcError('ERR_SHUTDOWN', 'the server is shutting down'));
      return;
    }
    if (o.onAccept) {
      let accepted;
      try {
        accepted = o.onAccept(info);
      } catch (err) {
        this.logger.error({ err, remoteAddress: transport.remoteAddress }, 'qrpc: onAccept threw; connection rejected');
        accepted = false;
      }
      if (accepted === false) {
        this.stats.rejected++;
        transport.destroy(new QrpcError('ERR_REJECTED', 'rejected by onAccept'));
        return;
      }
    }
    this.stats.accepted++;
    this.connections.add(info);
    const session = info[kSession];
    session.start();
    if (this.throttled) session.setThrottled(true);
    this.metrics?.connectionOpened();
    this.server[kServerEvents].connected(info);
  }

  /** A client's push: the binding's onPush, then the server's 'push' event. */
  private pushed(frame: Frame, info: ConnectionInfo): void {
    const subscribed = runPushSubscriber(this.options.onPush, this.logger, frame, info);
    this.server[kServerEvents].pushed(frame, info, subscribed);
  }

  /** Called by the connection when it closes, before its own close callbacks. */
  untrack(info: ConnectionInfo, error: QrpcError | null): void {
    this.connections.delete(info);
    const id = info.id;
    if (id !== null && this.ids.get(id) === info) this.ids.delete(id);
    this.server.cluster[kConnectionClosed](info);
    if (this.options.onClose) {
      try {
        this.options.onClose(info, error);
      } catch (err) {
        this.logger.error({ err }, 'qrpc: onClose threw');
      }
    }
    this.server[kServerEvents].disconnected(info, error);
  }

  /** Binds `id` to `info`, kicking the connection that held it (here, then on other nodes through the cluster). */
  async bindId(info: ConnectionInfo, id: string): Promise<void> {
    const previous = this.ids.get(id);
    this.ids.set(id, info);
    if (previous !== undefined && previous !== info) await this.kick(previous, id);
    await this.server.cluster[kIdBound](info, id);
  }

  /** Kicks the holder of `id`: untracked, given to onKick for a last frame, told it was kicked, then closed. */
  async kick(previous: ConnectionInfo, id: string): Promise<void> {
    if (this.ids.get(id) === previous) this.ids.delete(id);
    this.stats.kicked++;
    this.metrics?.kick();
    this.connections.delete(previous);
    if (this.options.onKick) {
      try {
        await this.options.onKick(previous);
      } catch (err) {
        this.logger.error({ err, id }, 'qrpc: onKick threw');
      }
    }
    this.closeRated(previous, new QrpcError('ERR_KICKED', `kicked: another connection bound id "${id}"`), ResetReason.Kicked);
  }

  /** Checks a push against this binding (cmd, flags, maxFrameSize) before anything is sent anywhere. */
  preparePush(cmd: number, payload: PayloadInput, flags: number): BrokerPush {
    assertCmd(cmd);
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) throw new QrpcError('ERR_INVALID_ARG', `flags must be an integer 0..255, got ${describeValue(flags)}`);
    if (this.chosen === null) throw new QrpcError('ERR_INVALID_ARG', 'the server is not listening');
    const buf = toPayload(payload);
    const limit = (this.options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE) - MIN_LENGTH;
    if (buf.length > limit) throw new QrpcError('ERR_FRAME_TOO_LARGE', `push payload of ${buf.length} bytes exceeds maxFrameSize: nothing was sent`);
    return { cmd, flags, payload: buf };
  }

  /** Encodes one push once and hands the same bytes to the backend's broadcast; returns how many took it. */
  broadcast(conns: Iterable<ConnectionInfo>, push: BrokerPush): number {
    const transport = this.chosen;
    if (transport === null) throw new QrpcError('ERR_INVALID_ARG', 'the server is not listening');
    // One encoding for all: the codec is per binding, so a broadcast is sent plain.
    const frame = encodeFrame(this.server.getPushId(), (push.flags & ~Flags.Codec & 0xff) | Flags.Push, push.cmd, push.payload);
    const targets: TransportConnection[] = [];
    for (const conn of conns) {
      const session = conn[kSession];
      if (!session.isClosing) targets.push(session.transport);
    }
    const sent = transport.broadcast(targets, frame);
    if (this.metrics !== null && sent > 0) {
      this.metrics.push('out', sent);
      this.metrics.bytes('out', sent * frame.length);
    }
    return sent;
  }

  /** Like broadcast, to the connections bound to `ids`: which ids took the frame, which were not held here (or closing). */
  deliverToIds(ids: Iterable<string>, push: BrokerPush): { delivered: string[]; absent: string[] } {
    const delivered: string[] = [];
    const absent: string[] = [];
    const targets: ConnectionInfo[] = [];
    for (const id of ids) {
      const conn = this.ids.get(id);
      if (conn === undefined || conn[kSession].isClosing) absent.push(id);
      else targets.push(conn);
    }
    if (targets.length === 0) return { delivered, absent };
    const taken = this.broadcast(targets, push);
    for (const conn of targets) {
      // The backend skips connections that closed under it: only those that are still open took the bytes.
      if (taken === targets.length || !conn[kSession].transport.closed) delivered.push(conn.id as string);
      else absent.push(conn.id as string);
    }
    return { delivered, absent };
  }

  /** Closes subject to the binding's close rate; with a notice reason the peer is told why first. */
  closeRated(info: ConnectionInfo, reason: QrpcError, notice: number = -1): void {
    const session = info[kSession];
    this.closer.run(() => (notice >= 0 ? session.closeWithNotice(notice, reason) : session.close(reason)));
  }

  byId(id: string): ConnectionInfo | null {
    return this.ids.get(id) ?? null;
  }

  health(): BindingHealth {
    let queuedBytes = 0;
    for (const info of this.connections) queuedBytes += info[kSession].transport.queuedOutputBytes;
    const l = this.listener;
    return {
      index: this.index,
      address: l === null ? null : { host: l.host, port: l.port, family: l.family },
      transport: this.transportName,
      connections: this.connections.size,
      queuedBytes,
      throttled: this.throttled,
    };
  }

  setThrottle(on: boolean): void {
    if (this.throttled === on) return;
    this.throttled = on;
    if (on) this.listener?.pause();
    else this.listener?.resume();
    for (const conn of this.connections) conn[kSession].setThrottled(on);
  }

  /** Shutdown: from now on a connection still arriving is refused. */
  async stopAccepting(): Promise<void> {
    this.draining = true;
    await this.closeListener();
  }

  /** The listening socket's fd (null when not listening, or the transport cannot tell). */
  listenerFd(): number | null {
    return this.listener?.fd() ?? null;
  }

  /** Closes the listener, if any; connections already accepted are untouched. */
  async closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    await listener?.close();
  }

  flushCloses(): void {
    this.closer.flush();
  }
}
