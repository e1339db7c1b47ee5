import { QrpcError } from '../protocol/errors.js';
import { Session, type SessionOptions } from '../core/session.js';
import type { TransportConnection } from '../transport/types.js';
import type { Binding } from './binding.js';
import type { Server } from './server.js';

/**
 * A server-side connection (Go's ConnectionInfo): the session plus identity
 * (setId with kick), application data, and server-initiated calls (inherited
 * request/streamRequest/call/push, with even request IDs).
 */
export class ConnectionInfo extends Session {
  /** Application data attached to this connection (Go's Get/SetAnything). */
  data: unknown = undefined;
  private boundId: string | null = null;
  /** @internal */
  readonly binding: Binding;

  constructor(transport: TransportConnection, options: SessionOptions, binding: Binding) {
    super(transport, options);
    this.binding = binding;
  }

  get server(): Server {
    return this.binding.server;
  }

  get bindingIndex(): number {
    return this.binding.index;
  }

  /** The application ID bound with setId, or null. */
  get id(): string | null {
    return this.boundId;
  }

  /**
   * Binds an application ID (once). A connection of the same binding already
   * holding it is kicked: untracked, given to onKick for a last frame, then closed.
   */
  async setId(id: string): Promise<void> {
    if (this.boundId !== null) throw new QrpcError('ERR_INVALID_ARG', `connection already has id "${this.boundId}"`);
    if (this.isClosed) throw new QrpcError('ERR_CONN_CLOSED', 'the connection is closed');
    this.boundId = id;
    await this.binding.bindId(this, id);
  }

  setReadTimeout(ms: number): void {
    this.transport.setReadTimeout(ms);
  }

  /** Closes with ERR_KICKED, subject to the binding's close rate. */
  kick(): void {
    this.binding.closeRated(this, new QrpcError('ERR_KICKED', 'the connection was kicked'));
  }

  protected override closedHook(error: QrpcError | null): void {
    this.binding.untrack(this, error);
  }

  protected override countUnknownCmd(): void {
    this.binding.stats.unknownCmds++;
  }
}
