import { spawn, type ChildProcess } from 'node:child_process';
import { QrpcError } from '../../protocol/errors.js';
import { FIRST_FD, HANDOVER_ENV, isReadyMessage, type InheritedListener } from './handover.js';

export interface SuccessorSpec {
  /** [executable, ...args]: the same program by default. */
  command: string[];
  listeners: Array<{ addr: string; fd: number }>;
  readyTimeoutMs: number;
}

/**
 * Starts the new process with the listening sockets as inherited fds and
 * resolves with its pid once it reports ready. Rejects with ERR_RESTART when
 * it cannot start, exits first or is not ready in time (it is killed then):
 * the caller keeps serving.
 */
export function startSuccessor(spec: SuccessorSpec): Promise<number> {
  const inherited: InheritedListener[] = spec.listeners.map((l, i) => ({ addr: l.addr, fd: FIRST_FD + i }));
  const [file, ...args] = spec.command;
  let child: ChildProcess;
  try {
    child = spawn(file!, args, {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc', ...spec.listeners.map((l) => l.fd)],
      env: { ...process.env, [HANDOVER_ENV]: JSON.stringify(inherited) },
    });
  } catch (err) {
    return Promise.reject(new QrpcError('ERR_RESTART', `cannot start the successor: ${(err as Error).message}`, { cause: err }));
  }
  return new Promise((resolve, reject) => {
    const settle = (error: QrpcError | null, pid = 0) => {
      clearTimeout(timer);
      child.removeAllListeners();
      if (error !== null) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(error);
        return;
      }
      // The successor lives on by itself: this process must be free to exit.
      if (child.connected) child.disconnect();
      child.unref();
      resolve(pid);
    };
    const timer = setTimeout(() => settle(new QrpcError('ERR_RESTART', `the successor (pid ${child.pid}) was not ready within ${spec.readyTimeoutMs} ms; killed`)), spec.readyTimeoutMs);
    child.on('message', (m) => {
      if (isReadyMessage(m)) settle(null, m.pid);
    });
    child.once('error', (err) => settle(new QrpcError('ERR_RESTART', `cannot start the successor: ${err.message}`, { cause: err })));
    child.once('exit', (code, signal) => settle(new QrpcError('ERR_RESTART', `the successor (pid ${child.pid}) exited (${signal ?? `code ${code}`}) before it was ready`)));
  });
}
