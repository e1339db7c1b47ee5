import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { QrpcError } from '../../protocol/errors.js';
import { stderrLogger, type Logger } from '../../core/logger.js';
import { BrokerHub } from './broker-hub.js';
import { drainWorker, hasExited } from './drain-worker.js';
import { HeldListeners } from './held-listeners.js';
import { checkReloadSignal } from './reload-signal.js';
import { applyScheduling, type WorkerScheduling } from './scheduling.js';
import { startWorker, type WorkerSpec } from './start-worker.js';
import type { BoundBinding } from './messages.js';

export interface WorkersOptions {
  /** How many worker processes (e.g. os.availableParallelism()). */
  workers: number;
  /** The worker module (path or file: URL): its default export `(worker: WorkerContext) => Server | Promise<Server>`. */
  module: string | URL;
  /** A crashed worker is started again after this long (default 500 ms). */
  restartDelayMs?: number;
  /** How long a worker may take to listen and report ready (default 30000). */
  readyTimeoutMs?: number;
  /** Extra environment for the workers (on top of this process's). */
  env?: Record<string, string>;
  /** The machine broker: how long a worker may take to confirm a push or kick (default 5000, whole ms >= 1); later it is reported unconfirmed. */
  confirmTimeoutMs?: number;
  /**
   * How connections of node:cluster-shared listeners (fallback, TLS, ws) reach the workers: 'os'
   * (default: each worker accepts; a worker that dies leaves its unaccepted connections to the
   * others) or 'round-robin' (the primary hands each on; one handed to a worker that dies is lost).
   * Process-wide (node:cluster's schedulingPolicy); NODE_CLUSTER_SCHED_POLICY wins when this is unset.
   */
  scheduling?: WorkerScheduling;
  /**
   * A signal to this (the primary) process that runs pool.reload() (default null: none; 'SIGHUP' is
   * the usual choice). Opt-in because the primary is the application's own process. A failed
   * reload is logged (error) and the pool serves on. Removed by stop().
   */
  reloadSignal?: NodeJS.Signals | null;
  logger?: Logger;
}

export interface WorkerExit {
  /** The worker's slot. */
  id: number;
  pid: number;
  code: number | null;
  signal: string | null;
}

/** The 'reload' event: slot `id` is served by its new worker `pid`; the old one (`previousPid`) drained. */
export interface WorkerReload {
  id: number;
  pid: number;
  previousPid: number;
}

type PoolOptions = Required<Omit<WorkersOptions, 'module' | 'env' | 'confirmTimeoutMs' | 'scheduling'>> & WorkerSpec;

/**
 * Events: 'exit' (WorkerExit) when a worker dies unasked; 'restart' ({ id, pid }) once its
 * replacement serves; 'reload' (WorkerReload) once per slot a reload replaced.
 */
export class WorkerPool extends EventEmitter {
  /** The port of each binding, as every worker serves it. */
  readonly ports: readonly number[];
  private readonly slots: Array<Worker | null>;
  private readonly held: HeldListeners;
  /** Starts and drains under way, which stop() waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping: Promise<void> | null = null;
  private reloading: Promise<void> | null = null;
  private drainTimeoutMs = 10_000;
  private readonly onSignal = () => {
    this.reload().catch((err: unknown) => this.options.logger.error({ err }, 'qrpc: pool reload failed; the pool serves on'));
  };

  /** @internal made by serveWorkers */
  constructor(
    private readonly options: PoolOptions,
    private readonly sharedPorts: Array<number | null>,
    first: Worker,
    bound: BoundBinding[],
  ) {
    super();
    this.ports = bound.map((b) => b.port);
    this.slots = new Array(options.workers).fill(null);
    this.held = new HeldListeners(options.logger);
    this.watch(0, first);
    this.held.take(0, first.process.pid ?? 0, bound);
    if (options.reloadSignal !== null) process.on(options.reloadSignal, this.onSignal);
  }

  /** The pids of the live workers, by slot (0 while a slot restarts). */
  get pids(): number[] {
    return this.slots.map((w) => w?.process.pid ?? 0);
  }

  /** @internal */
  async startRest(): Promise<void> {
    const started = await Promise.allSettled(this.slots.map((_, id) => (id === 0 ? undefined : this.start(id, null))));
    // Every worker that came up is watched (and so stopped by stop()) before the first failure is reported.
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Starts slot `id`'s worker (on the slot's kept listening sockets, if any)
   * and, once it serves, puts it in the slot if the slot still holds
   * `expected` (or is empty); otherwise (the pool stops, another worker took
   * the slot) it is drained again and the start rejects.
   */
  private start(id: number, expected: Worker | null): Promise<Worker> {
    const run = startWorker(id, this.options, this.sharedPorts, this.held.fdsOf(id)).then(async ({ worker, bound }) => {
      const current = this.slots[id];
      if (this.stopping === null && (current === expected || current === null)) {
        this.watch(id, worker);
        this.held.take(id, worker.process.pid ?? 0, bound);
        return worker;
      }
      await this.drain(worker);
      if (this.stopping !== null) throw new QrpcError('ERR_SHUTDOWN', `worker ${id} came up while the pool stopped`);
      throw new QrpcError('ERR_WORKER', `worker ${id} came up while another worker took its slot`);
    });
    return this.track(run);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = () => this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  private drain(worker: Worker): Promise<void> {
    return this.track(drainWorker(worker, this.drainTimeoutMs));
  }

  private watch(id: number, worker: Worker): void {
    this.slots[id] = worker;
    worker.once('exit', (code, signal) => {
      // A worker a reload replaced: asked to go.
      if (this.slots[id] !== worker) return;
      this.slots[id] = null;
      if (this.stopping !== null) return;
      const exit: WorkerExit = { id, pid: worker.process.pid ?? 0, code, signal };
      this.options.logger.warn({ ...exit }, 'qrpc: worker exited; restarting it');
      this.emit('exit', exit);
      this.restartLater(id);
    });
  }

  private restartLater(id: number): void {
    setTimeout(() => {
      // A reload's new worker may have taken the empty slot meanwhile.
      if (this.stopping !== null || this.slots[id] !== null) return;
      this.start(id, null).then(
        (worker) => this.emit('restart', { id, pid: worker.process.pid ?? 0 }),
        (err: unknown) => {
          if (this.stopping !== null || this.slots[id] !== null) return;
          this.options.logger.error({ err, id }, 'qrpc: worker failed to restart; trying again');
          // While other workers serve, a slot that cannot come back must not keep its share of new
          // connections waiting in a queue nobody accepts from; the only slot keeps the port bound.
          if (this.slots.some((w) => w !== null)) this.held.release(id);
          this.restartLater(id);
        },
      );
    }, this.options.restartDelayMs);
  }

  /**
   * Rolling reload: slot by slot, a new worker (which imports the module
   * again, so new code is picked up) starts on the slot's listening sockets,
   * and once it serves the old one drains (server.shutdown({ timeoutMs }))
   * and exits; then the next slot. 'reload' is emitted per slot. Rejects
   * with ERR_RESTART when a new worker fails to start (it is gone, the old
   * one serves on; slots before it keep their new workers, later ones are
   * not reloaded) and ERR_SHUTDOWN once stop() was called. A slot whose
   * worker crashed is left to its restart. Concurrent calls share one run.
   */
  reload({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping !== null) return Promise.reject(new QrpcError('ERR_SHUTDOWN', 'the pool is stopping: reload() refused'));
    this.reloading ??= this.roll(timeoutMs).finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async roll(timeoutMs: number): Promise<void> {
    for (let id = 0; id < this.slots.length; id++) {
      const old = this.slots[id];
      if (this.stopping !== null) throw new QrpcError('ERR_SHUTDOWN', `the pool stopped during reload (before slot ${id})`);
      if (old === null) continue;
      let worker: Worker;
      try {
        worker = await this.start(id, old);
      } catch (err) {
        if (this.stopping !== null) throw new QrpcError('ERR_SHUTDOWN', `the pool stopped during reload (slot ${id})`, { cause: err });
        // The old worker crashed meanwhile and its restart (a fresh import too) took the slot.
        if (this.slots[id] !== old && this.slots[id] !== null) continue;
        throw new QrpcError('ERR_RESTART', `reload: slot ${id}'s new worker did not start; the old one serves on (${(err as Error).message})`, { cause: err });
      }
      if (!hasExited(old)) await this.track(drainWorker(old, timeoutMs));
      this.emit('reload', { id, pid: worker.process.pid ?? 0, previousPid: old.process.pid ?? 0 } satisfies WorkerReload);
    }
  }

  /** Drains every worker (server.shutdown({ timeoutMs })) and waits for them to exit; restarts and reloads stop. */
  stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopping === null) {
      this.drainTimeoutMs = timeoutMs;
      this.stopping = this.stopAll();
    }
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    if (this.options.reloadSignal !== null) process.off(this.options.reloadSignal, this.onSignal);
    await Promise.all(this.slots.map((worker) => worker && this.drain(worker)));
    // A worker that comes up now (a restart's, a reload's) is drained at once (see start).
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.held.closeAll();
  }
}

function checkOptions(o: WorkersOptions): void {
  if (!Number.isInteger(o?.workers) || o.workers < 1) throw new QrpcError('ERR_INVALID_ARG', `workers must be a whole number >= 1, got ${String(o?.workers)}`);
  if (typeof o.module !== 'string' && !(o.module instanceof URL)) throw new QrpcError('ERR_INVALID_ARG', 'module must be a path or a file: URL of the worker module');
  const confirm = o.confirmTimeoutMs;
  // 0 would mean "wait forever" to the reply book: a push to a hung worker must end as unconfirmed.
  if (confirm !== undefined && (!Number.isInteger(confirm) || confirm < 1)) throw new QrpcError('ERR_INVALID_ARG', `confirmTimeoutMs must be a whole number of ms >= 1, got ${String(confirm)}`);
  checkReloadSignal(o.reloadSignal);
  if (!cluster.isPrimary) throw new QrpcError('ERR_INVALID_ARG', 'serveWorkers() runs in the primary process, not in a worker');
}

/**
 * Starts `workers` processes serving the same bindings on the same ports and
 * resolves once all serve. The first worker binds (port 0 picks a port for
 * all); native bindings of the others listen on that port with SO_REUSEPORT
 * (each its own epoll loop), pure-JS ones (fallback, TLS, ws) share node:cluster's
 * handle. The primary keeps a duplicate of every native listening socket
 * (pidfd_getfd), so a slot's next worker serves the same socket and accept
 * queue. A worker that exits unasked is started again; pool.reload()
 * replaces them all without refusing connections. Rejects with ERR_WORKER
 * when a worker fails to start (the ones already up are stopped).
 */
export async function serveWorkers(options: WorkersOptions): Promise<WorkerPool> {
  checkOptions(options);
  applyScheduling(options.scheduling);
  const resolved: PoolOptions = {
    workers: options.workers,
    module: options.module instanceof URL ? options.module.href : options.module,
    restartDelayMs: options.restartDelayMs ?? 500,
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    env: options.env ?? {},
    reloadSignal: options.reloadSignal ?? null,
    logger: options.logger ?? stderrLogger,
    hub: new BrokerHub(options.confirmTimeoutMs ?? 5_000),
  };
  const { worker, bound } = await startWorker(0, resolved, []);
  const shared = bound.map((b) => (b.transport === 'native' ? b.port : null));
  const pool = new WorkerPool(resolved, shared, worker, bound);
  try {
    await pool.startRest();
  } catch (err) {
    await pool.stop({ timeoutMs: 0 });
    throw err;
  }
  return pool;
}
