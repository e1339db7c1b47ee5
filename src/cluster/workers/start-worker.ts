import cluster, { type Worker } from 'node:cluster';
import { join } from 'node:path';
import { QrpcError } from '../../protocol/errors.js';
import { packageRoot } from '../../transport/native/package-root.cjs';
import type { BrokerHub } from './broker-hub.js';
import { WORKER_CONFIRM_ENV, WORKER_FDS_ENV, WORKER_ID_ENV, WORKER_MODULE_ENV, WORKER_PORTS_ENV, isWorkerMessage, type BoundBinding } from './messages.js';

/** stdio of a worker: 0-2 inherited, 3 the cluster IPC channel, the kept listening sockets from 4. */
const FIRST_INHERITED_FD = 4;

export interface WorkerSpec {
  module: string;
  env: Record<string, string>;
  readyTimeoutMs: number;
  hub: BrokerHub;
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

/**
 * Forks the worker of slot `id` and resolves once it serves, with what it
 * bound. `ports`: the port each native binding shares (null: its own);
 * `fds`: per binding the primary's listening socket the worker serves
 * instead of binding one (passed as an inherited fd), or null. Rejects with
 * ERR_WORKER once the worker is gone: no process outlives a failed start.
 */
export function startWorker(id: number, spec: WorkerSpec, ports: Array<number | null>, fds: Array<number | null> = []): Promise<{ worker: Worker; bound: BoundBinding[] }> {
  const passed = fds.filter((fd): fd is number => fd !== null);
  let slot = FIRST_INHERITED_FD;
  const inherited = fds.map((fd) => (fd === null ? null : slot++));
  // stdio is set every time: setupPrimary() keeps what an earlier call set.
  cluster.setupPrimary({ exec: workerMain(), args: [], serialization: 'advanced', stdio: [0, 1, 2, 'ipc', ...passed] });
  const worker = cluster.fork({
    ...spec.env,
    [WORKER_ID_ENV]: String(id),
    [WORKER_MODULE_ENV]: spec.module,
    [WORKER_PORTS_ENV]: JSON.stringify(ports),
    [WORKER_FDS_ENV]: JSON.stringify(inherited),
    [WORKER_CONFIRM_ENV]: String(spec.hub.confirmTimeoutMs),
  });
  // Before the worker listens: its server starts the broker during listen().
  spec.hub.attach(worker);
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      const error = new QrpcError('ERR_WORKER', `worker ${id} (pid ${worker.process.pid}) ${why}`);
      if (worker.process.exitCode !== null || worker.process.signalCode !== null) return reject(error);
      worker.once('exit', () => reject(error));
      worker.process.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(`was not ready within ${spec.readyTimeoutMs} ms`), spec.readyTimeoutMs);
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
