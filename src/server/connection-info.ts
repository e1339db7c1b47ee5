import { QrpcError } from '../protocol/errors.js';
import type { Frame, PayloadInput } from '../protocol/frame.js';
import type { Flags } from '../protocol/flags.js';
import { NO_WAIT_OPTIONS, type Call, type WaitOptions } from '../core/call.js';
import { Session, type SessionOptions, type StreamOptions, type OpenedStream } from '../core/session.js';
import type { StreamWriter } from '../core/writer.js';
import type { PeerCertificate } from 'node:tls';
import type { TlsPeerInfo, TransportConnection } from '../transport/types.js';
import type { Binding } from './binding.js';
import type { Server } from './server.js';

/** The engine behind a ConnectionInfo; for the server's own modules, not part of the public API. */
export const kSession = Symbol('qrpc.session');

/**
 * A server-side connection as the application sees it (Go's ConnectionInfo):
 * identity (setId with kick), application data, close notification, and
 * server-initiated calls and pushes. The protocol engine behind it is
 * internal.
 */
export class ConnectionInfo {
  /** Application data attached to this connection (Go's Get/SetAnything). */
  data: unknown = undefined;
  /** @internal */
  readonly [kSession]: Session<ConnectionInfo>;
  #id: string | null = null;

  /** @internal made by the binding for each accepted connection; `options.context` is the Binding */
  constructor(transport: TransportConnection, options: SessionOptions<ConnectionInfo>) {
    const session = new Session<ConnectionInfo>(transport, options);
    session.publicConnection = this;
    this[kSession] = session;
  }

  /** The binding is shared by all its connections through the session options: no field per connection. */
  get #binding(): Binding {
    return this[kSession].context as Binding;
  }

  get server(): Server {
    return this.#binding.server;
  }

  get bindingIndex(): number {
    return this.#binding.index;
  }

  /** The application ID bound with setId, or null. */
  get id(): string | null {
    return this.#id;
  }

  get remoteAddress(): string {
    return this[kSession].remoteAddress;
  }

  get remotePort(): number {
    return this[kSession].remotePort;
  }

  /** TLS facts of this connection (peer certificate, verification, protocol); null on a plain binding. */
  get tls(): TlsPeerInfo | null {
    return this[kSession].transport.tlsInfo?.() ?? null;
  }

  /** The client's certificate (node's getPeerCertificate()) on a TLS binding, or null (none sent, or plain TCP). */
  get peerCertificate(): PeerCertificate | null {
    return this.tls?.peerCertificate ?? null;
  }

  /** The client certificate verified against the binding's `ca` (false without one, and on plain TCP). */
  get authorized(): boolean {
    return this.tls?.authorized ?? false;
  }

  /** Why the client certificate did not verify (e.g. 'CERT_HAS_EXPIRED'), when the binding let it in anyway. */
  get authorizationError(): string | null {
    return this.tls?.authorizationError ?? null;
  }

  get isClosed(): boolean {
    return this[kSession].isClosed;
  }

  /** Settles once the connection is closed and its close callbacks ran. */
  get closed(): Promise<void> {
    return this[kSession].closed;
  }

  /** Why the connection closed (null while open or after an orderly close). */
  get closeReason(): QrpcError | null {
    return this[kSession].closeReason;
  }

  /**
   * Binds an application ID (once). A connection of the same binding already
   * holding it is kicked: untracked, given to onKick for a last frame, told
   * it was kicked (ERR_KICKED on its side), then closed.
   */
  async setId(id: string): Promise<void> {
    if (typeof id !== 'string' || id === '') throw new QrpcError('ERR_INVALID_ARG', `setId takes a non-empty string, got ${typeof id}`);
    if (this.#id !== null) throw new QrpcError('ERR_INVALID_ARG', `connection already has id "${this.#id}"`);
    if (this[kSession].isClosing) throw new QrpcError('ERR_CONN_CLOSED', 'the connection is closed');
    this.#id = id;
    await this.#binding.bindId(this, id);
  }

  /** Runs `fn` once when the connection closes (Go's NotifyWhenClose); at once (next microtask) if it already has. */
  onClose(fn: (error: QrpcError | null) => void): void {
    if (typeof fn !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'onClose takes a function');
    this[kSession].whenClosed(fn);
  }

  /** Changes the idle cut-off of this connection (0 disables). */
  setReadTimeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new QrpcError('ERR_INVALID_ARG', `setReadTimeout takes milliseconds >= 0, got ${ms}`);
    this[kSession].transport.setReadTimeout(ms);
  }

  /** Server → client push; resolves with its ID once queued (rejects, never unhandled, when it cannot be sent). */
  push(cmd: number, payload?: PayloadInput, flags: number = 0): Promise<bigint> {
    return this[kSession].push(cmd, payload, flags);
  }

  /** Server → client non-blocking call (the client needs a handler), resolved with the answer's first frame. */
  call(cmd: number, payload?: PayloadInput, options: WaitOptions & { flags?: number } = NO_WAIT_OPTIONS): Promise<Frame> {
    return this[kSession].call(cmd, payload, options);
  }

  /** Go's Request toward the client: one frame; `response` is null for a push (Flags.Push). */
  request(cmd: number, flags: typeof Flags.Push, payload?: PayloadInput): { requestId: bigint; response: null };
  request(cmd: number, flags?: number, payload?: PayloadInput): { requestId: bigint; response: Call };
  request(cmd: number, flags: number = 0, payload?: PayloadInput): { requestId: bigint; response: Call | null } {
    return this[kSession].request(cmd, flags, payload);
  }

  streamRequest(cmd: number, flags: number = 0, payload?: PayloadInput, options?: StreamOptions): OpenedStream {
    return this[kSession].streamRequest(cmd, flags, payload, options);
  }

  reset(requestId: bigint, reason: number = 0): Promise<void> {
    return this[kSession].reset(requestId, reason);
  }

  /** Closes after flushing what is queued. */
  close(): void {
    this[kSession].close();
  }

  /** Frames and loggers show the connection, not the engine. */
  toJSON(): object {
    return { remoteAddress: this.remoteAddress, remotePort: this.remotePort, id: this.#id, bindingIndex: this.bindingIndex };
  }
}
