import { QrpcError } from '../../protocol/errors.js';
import { stderrLogger, type Logger } from '../../core/logger.js';
import { kListenerFds, type Server } from '../../server/server.js';
import type { BindingOptions } from '../../server/options.js';
import { HANDOVER_ENV, addressKey, readInherited, type InheritedListener, type ReadyMessage } from './handover.js';
import { startSuccessor } from './successor.js';

export interface GracefulRestartOptions {
  /** The signal that triggers a restart (default 'SIGHUP'); null: upgrade() only. */
  signal?: NodeJS.Signals | null;
  /** How long the successor may take to report ready (default 30000); then it is killed and this process serves on. */
  readyTimeoutMs?: number;
  /** The drain of this process's connections once the successor serves: server.shutdown({ timeoutMs }) (default 10000). */
  drainTimeoutMs?: number;
  /** The successor's command line (default: this program again, [process.execPath, ...execArgv, ...argv.slice(1)]). */
  command?: string[];
  logger?: Logger;
}

/**
 * tableflip for qrpc: the running process hands its listening sockets (the
 * very same sockets, so connections waiting in their accept queues are not
 * lost) to a new process of the same program, waits until it is ready, then
 * stops accepting and drains its own connections with the graceful shutdown.
 *
 *   const restart = new GracefulRestart();
 *   const server = new Server(restart.bindings([{ addr: ':8080', handler }]));
 *   await server.listen();
 *   await restart.ready(server);           // tells the predecessor, if any; SIGHUP now restarts
 *   await restart.handedOver;              // a successor took over and our connections drained
 */
export class GracefulRestart {
  /** Settles once a successor serves and this process's connections are drained: time to exit. */
  readonly handedOver: Promise<void>;
  private readonly inherited: InheritedListener[];
  private readonly options: Required<Omit<GracefulRestartOptions, 'logger' | 'signal'>> & { signal: NodeJS.Signals | null; logger: Logger };
  private addresses: string[] | null = null;
  private server: Server | null = null;
  private upgrading: Promise<{ pid: number }> | null = null;
  private done = false;
  private resolveHandedOver!: () => void;
  private readonly onSignal = () => {
    this.upgrade().catch((err: unknown) => this.options.logger.error({ err }, 'qrpc: graceful restart failed; serving on'));
  };

  constructor(options: GracefulRestartOptions = {}) {
    this.options = {
      signal: options.signal === undefined ? 'SIGHUP' : options.signal,
      readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      drainTimeoutMs: options.drainTimeoutMs ?? 10_000,
      command: options.command ?? [process.execPath, ...process.execArgv, ...process.argv.slice(1)],
      logger: options.logger ?? stderrLogger,
    };
    this.inherited = readInherited(process.env);
    // Ours alone: a process this one starts otherwise would take these fd numbers for listeners it never got.
    delete process.env[HANDOVER_ENV];
    this.handedOver = new Promise((resolve) => (this.resolveHandedOver = resolve));
  }

  /** True when this process was started by a restart (it inherited listening sockets). */
  get inheritedListeners(): boolean {
    return this.inherited.length > 0;
  }

  /**
   * The server's bindings, each set to serve the socket inherited for its
   * address (`addr` as written, so both versions must configure it alike);
   * bindings without one bind as usual.
   */
  bindings(list: BindingOptions[]): BindingOptions[] {
    this.addresses = list.map((b) => addressKey(b.addr));
    const unused = new Map(this.inherited.map((l) => [l.addr, l.fd]));
    return list.map((b, i) => {
      const fd = unused.get(this.addresses![i]!);
      if (fd === undefined) return b;
      unused.delete(this.addresses![i]!);
      return { ...b, fd };
    });
  }

  /**
   * The server listens: tell the predecessor (which then stops accepting and
   * drains), and from now on the signal (or upgrade()) restarts.
   */
  async ready(server: Server): Promise<void> {
    if (this.addresses === null) throw new QrpcError('ERR_INVALID_ARG', 'build the server with restart.bindings([...]) so its sockets can be handed on');
    this.server = server;
    if (this.options.signal !== null) process.on(this.options.signal, this.onSignal);
    if (this.inheritedListeners && process.send !== undefined && process.connected) {
      const message: ReadyMessage = { qrpc: 'restart-ready', pid: process.pid };
      await new Promise<void>((resolve, reject) => process.send!(message, undefined, {}, (err) => (err ? reject(err) : resolve())));
      // The predecessor is about to exit; nothing more comes over the channel.
      process.disconnect();
    }
  }

  /**
   * Starts the successor with this process's listening sockets and, once it
   * is ready, drains this server. Resolves with the successor's pid; rejects
   * with ERR_RESTART (this process keeps serving, a later upgrade() may try
   * again). Concurrent calls share one attempt.
   */
  upgrade(): Promise<{ pid: number }> {
    if (this.done) return Promise.reject(new QrpcError('ERR_SHUTDOWN', 'this process already handed over'));
    this.upgrading ??= this.handOver().finally(() => (this.upgrading = null));
    return this.upgrading;
  }

  private async handOver(): Promise<{ pid: number }> {
    const server = this.server;
    if (server === null || this.addresses === null) throw new QrpcError('ERR_INVALID_ARG', 'upgrade() before ready(server)');
    const fds = server[kListenerFds]();
    const listeners = fds.map((fd, i) => {
      if (fd === null) throw new QrpcError('ERR_RESTART', `binding ${i} has no listening socket to hand on (not listening, or its transport cannot tell its fd)`);
      return { addr: this.addresses![i]!, fd };
    });
    const pid = await startSuccessor({ command: this.options.command, listeners, readyTimeoutMs: this.options.readyTimeoutMs });
    this.done = true;
    if (this.options.signal !== null) process.off(this.options.signal, this.onSignal);
    this.options.logger.info({ successor: pid }, 'qrpc: successor ready; draining');
    await server.shutdown({ timeoutMs: this.options.drainTimeoutMs });
    this.resolveHandedOver();
    return { pid };
  }
}
