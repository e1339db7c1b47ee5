import type { Worker } from 'node:cluster';
import type { PrimaryMessage } from './messages.js';

/** True once the worker's process has exited (by itself or by a signal). */
export function hasExited(worker: Worker): boolean {
  return worker.process.exitCode !== null || worker.process.signalCode !== null;
}

/**
 * Asks a worker to drain (worker-stop: server.shutdown({ timeoutMs }), then
 * it exits) and resolves once it has exited. A worker that is still there
 * after its drain deadline and a margin, or cannot be asked, is killed.
 */
export function drainWorker(worker: Worker, timeoutMs: number): Promise<void> {
  if (hasExited(worker)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs + 5_000);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    const stop: PrimaryMessage = { qrpc: 'worker-stop', timeoutMs };
    try {
      if (worker.isConnected()) return void worker.send(stop);
    } catch {
      // The channel closed under us: the worker is on its way out, make sure of it.
    }
    worker.process.kill('SIGKILL');
  });
}
