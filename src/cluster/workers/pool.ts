import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { QrpcError } from '../../protocol/errors.js';
import { stderrLogger, type Logger } from '../../core/logger.js';
import { packageRoot } from '../../transport/native/package-root.cjs';
import { BrokerHub } from './broker-hub.js';
import { applyScheduling, type WorkerScheduling } from './scheduling.js';
import { WORKER_CONFIRM_ENV, WORKER_ID_ENV, WORKER_MODULE_ENV, WORKER_PORTS_ENV, isWorkerMessage, type BoundBinding, type PrimaryMessage } from './messages.js';

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
  logger?: Logger;
}

export interface WorkerExit {
  /** The worker's slot. */
  id: number;
  pid: number;
  code: number | null;
  signal: string | null;
}

/** 'exit' (WorkerExit) when a worker dies unasked; 'restart' ({ id, pid }) once its replacement serves. */
export class WorkerPool extends EventEmitter {
  /** The port of each binding, as every worker serves it. */
  readonly ports: readonly number[];
  private readonly slots: Array<Worker | null>;
  private stopping: Promise<void> | null = null;

  /** @internal made by serveWorkers */
  constructor(
    private readonly options: Required<Omit<WorkersOptions, 'module' | 'env' | 'confirmTimeoutMs' | 'scheduling'>> & { module: string; env: Record<string, string>; hub: BrokerHub },
    private readonly sharedPorts: Array<number | null>,
    first: Worker,
    bound: BoundBinding[],
  ) {
    super();
    this.ports = bound.map((b) => b.port);
    this.slots = new Array(options.workers).fill(null);
    this.watch(0, first);
  }

  /** The pids of the live workers, by slot (0 while a slot restarts). */
  get pids(): number[] {
    return this.slots.map((w) => w?.process.pid ?? 0);
  }

  /** @internal */
  async startRest(): Promise<void> {
    const started = await Promise.allSettled(this.slots.map(async (_, id) => (id === 0 ? undefined : this.watch(id, await this.start(id)))));
    // Every worker that came up is watched (and so stopped by stop()) before the first failure is reported.
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Starts the worker of `id` and resolves once it serves. */
  private async start(id: number): Promise<Worker> {
    return startWorker(id, this.options, this.sharedPorts).then(({ worker }) => worker);
  }

  private watch(id: number, worker: Worker): void {
    this.slots[id] = worker;
    worker.once('exit', (code, signal) => {
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
      if (this.stopping !== null) return;
      this.start(id).then(
        (worker) => {
          if (this.stopping !== null) return void worker.kill('SIGKILL');
          this.watch(id, worker);
          this.emit('restart', { id, pid: worker.process.pid ?? 0 });
        },
        (err: unknown) => {
          this.options.logger.error({ err, id }, 'qrpc: worker failed to restart; trying again');
          this.restartLater(id);
        },
      );
    }, this.options.restartDelayMs);
  }

  /** Drains every worker (server.shutdown({ timeoutMs })) and waits for them to exit; restarts stop. */
  stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    this.stopping ??= Promise.all(
      this.slots.map((worker) => {
        if (worker === null || worker.process.exitCode !== null) return undefined;
        return new Promise<void>((resolve) => {
          // A worker that does not exit after its drain deadline (and a margin) is killed.
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 5_000);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          const stop: PrimaryMessage = { qrpc: 'worker-stop', timeoutMs };
          if (worker.isConnected()) worker.send(stop);
          else worker.process.kill('SIGKILL');
        });
      }),
    ).then(() => {});
    return this.stopping;
  }
}

/**
 * Workers always run the ES module build's entry, from either build: it
 * loads the user's module with a real import() (the CommonJS build would
 * turn that into require(), which cannot load an ES module). The server the
 * module returns is duck-typed, so a CommonJS user module works too.
 */
function workerMain(): string {
  const root = packageRoot();
  if (root === null) throw new QrpcError('ERR_WORKER', 'package root (the folder holding binding.gyp) not found: cannot locate the worker entry');
  return join(root, 'dist', 'cluster', 'workers', 'worker-main.js');
}

function startWorker(
  id: number,
  options: { module: string; env: Record<string, string>; readyTimeoutMs: number; hub: BrokerHub },
  ports: Array<number | null>,
): Promise<{ worker: Worker; bound: BoundBinding[] }> {
  cluster.setupPrimary({ exec: workerMain(), args: [], serialization: 'advanced' });
  const worker = cluster.fork({ ...options.env, [WORKER_ID_ENV]: String(id), [WORKER_MODULE_ENV]: options.module, [WORKER_PORTS_ENV]: JSON.stringify(ports), [WORKER_CONFIRM_ENV]: String(options.hub.confirmTimeoutMs) });
  // Before the worker listens: its server starts the broker during listen().
  options.hub.attach(worker);
  return new Promise((resolve, reject) => {
    // Rejects once the worker is gone: no process outlives a failed start.
    const fail = (why: string) => {
      cleanup();
      const error = new QrpcError('ERR_WORKER', `worker ${id} (pid ${worker.process.pid}) ${why}`);
      if (worker.process.exitCode !== null || worker.process.signalCode !== null) return reject(error);
      worker.once('exit', () => reject(error));
      worker.process.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(`was not ready within ${options.readyTimeoutMs} ms`), options.readyTimeoutMs);
    const onMessage = (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.qrpc === 'worker-failed') return fail(`failed to start: ${m.message}`);
      cleanup();
      resolve({ worker, bound: m.bindings });
    };
    const onExit = (code: number | null, signal: string | null) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`);
    const cleanup = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

function checkOptions(o: WorkersOptions): void {
  if (!Number.isInteger(o?.workers) || o.workers < 1) throw new QrpcError('ERR_INVALID_ARG', `workers must be a whole number >= 1, got ${String(o?.workers)}`);
  if (typeof o.module !== 'string' && !(o.module instanceof URL)) throw new QrpcError('ERR_INVALID_ARG', 'module must be a path or a file: URL of the worker module');
  const confirm = o.confirmTimeoutMs;
  // 0 would mean "wait forever" to the reply book: a push to a hung worker must end as unconfirmed.
  if (confirm !== undefined && (!Number.isInteger(confirm) || confirm < 1)) throw new QrpcError('ERR_INVALID_ARG', `confirmTimeoutMs must be a whole number of ms >= 1, got ${String(confirm)}`);
  if (!cluster.isPrimary) throw new QrpcError('ERR_INVALID_ARG', 'serveWorkers() runs in the primary process, not in a worker');
}

/**
 * Starts `workers` processes serving the same bindings on the same ports and
 * resolves once all serve. The first worker binds (port 0 picks a port for
 * all); native bindings of the others listen on that port with SO_REUSEPORT
 * (each its own epoll loop), pure-JS ones (fallback, TLS, ws) share node:cluster's
 * handle. A worker that exits unasked is started again. Rejects with
 * ERR_WORKER when a worker fails to start (the ones already up are stopped).
 */
export async function serveWorkers(options: WorkersOptions): Promise<WorkerPool> {
  checkOptions(options);
  applyScheduling(options.scheduling);
  const resolved = {
    workers: options.workers,
    module: options.module instanceof URL ? options.module.href : options.module,
    restartDelayMs: options.restartDelayMs ?? 500,
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
    env: options.env ?? {},
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
