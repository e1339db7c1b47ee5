import { connect } from '../../client/connect.js';
import type { Connection } from '../../client/connection.js';
import type { ClientOptions } from '../../client/options.js';
import { QrpcError } from '../../protocol/errors.js';
import type { EndpointState, EndpointStatus } from './options.js';

export interface EndpointHealth {
  backoffMs: number;
  maxBackoffMs: number;
}

function asQrpcError(err: unknown): QrpcError {
  return err instanceof QrpcError ? err : new QrpcError('ERR_CONNECT', String((err as Error)?.message ?? err), { cause: err });
}

/**
 * One endpoint of an Api: its connection and health. A failed connect or a
 * lost connection makes it `down`; it is re-probed (dialled again) after a
 * back-off that doubles per failure. `draining` means its server announced a
 * shutdown: in-flight calls finish there, new ones go elsewhere.
 */
export class Endpoint {
  readonly name: string;
  readonly weight: number;
  private readonly options: ClientOptions;
  private readonly health: EndpointHealth;
  private state: EndpointState = 'connecting';
  private connection: Connection | null = null;
  private dialing: Promise<void> | null = null;
  private probeTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private lastError: QrpcError | null = null;
  private retired = false;
  /** Api calls on this endpoint's connection; a removed endpoint closes when they are done. */
  private inflight = 0;
  private whenIdle: (() => void) | null = null;

  constructor(name: string, weight: number, options: ClientOptions, health: EndpointHealth) {
    this.name = name;
    this.weight = weight;
    this.options = options;
    this.health = health;
  }

  get current(): EndpointState {
    return this.state;
  }

  /** Up, its connection open and not told to go away (a kick or shutdown notice sets closeReason while still open). */
  get usableConnection(): Connection | null {
    const c = this.connection;
    return this.state === 'up' && c !== null && !c.isClosed && c.closeReason === null ? c : null;
  }

  status(): EndpointStatus {
    return { endpoint: this.name, weight: this.weight, state: this.state, failures: this.failures, lastError: this.lastError };
  }

  /** Settles (never rejects) when the connect in progress has; at once when none is. */
  settled(): Promise<void> {
    return this.dialing ?? Promise.resolve();
  }

  dial(): Promise<void> {
    if (this.dialing !== null || this.retired) return this.settled();
    this.state = 'connecting';
    this.dialing = connect(this.name, this.options).then(
      (conn) => this.onConnected(conn),
      (err) => this.onDown(asQrpcError(err)),
    );
    return this.dialing;
  }

  private onConnected(conn: Connection): void {
    this.dialing = null;
    if (this.retired) {
      void conn.close();
      return;
    }
    this.connection = conn;
    this.state = 'up';
    this.failures = 0;
    void conn.closed.then(() => {
      if (this.connection !== conn) return;
      this.connection = null;
      if (!this.retired) this.onDown(conn.closeReason ?? new QrpcError('ERR_CONN_CLOSED', `the connection to ${this.name} closed`));
    });
  }

  private onDown(error: QrpcError): void {
    this.dialing = null;
    this.state = 'down';
    this.lastError = error;
    this.failures++;
    if (this.retired) return;
    const wait = Math.min(this.health.backoffMs * 2 ** (this.failures - 1), this.health.maxBackoffMs);
    this.options.logger?.debug({ endpoint: this.name, code: error.code, retryInMs: wait }, 'qrpc: api endpoint down');
    // Ref'd like a reconnecting Connection: an Api keeps the process alive until close().
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.dial();
    }, wait);
  }

  /** Its server is shutting down (a reset with reason Shutdown): no new calls; it goes down when the connection closes. */
  markDraining(): void {
    if (this.state === 'up') this.state = 'draining';
  }

  acquire(): void {
    this.inflight++;
  }

  release(): void {
    if (--this.inflight === 0 && this.whenIdle !== null) this.whenIdle();
  }

  /**
   * Out of the Api: no more probes. With `drain`, the connection closes once the
   * calls already on it are done (a removed endpoint); without, at once (the
   * Api's close(): those calls fail with ERR_CONN_CLOSED).
   */
  async retire(drain: boolean): Promise<void> {
    this.retired = true;
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    await this.settled();
    if (drain && this.inflight > 0) await new Promise<void>((resolve) => (this.whenIdle = resolve));
    const conn = this.connection;
    this.connection = null;
    if (conn !== null) await conn.close();
  }
}
