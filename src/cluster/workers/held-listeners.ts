import { closeSync } from 'node:fs';
import type { Logger } from '../../core/logger.js';
import { dupFromProcess } from '../../transport/native/dup-from-process.js';
import type { BoundBinding } from './messages.js';

/**
 * The primary's duplicates of its workers' native listening sockets, per slot
 * and binding (pidfd_getfd through the addon's dupFromProcess). While the
 * primary holds one, the socket and its accept queue outlive the worker: the
 * slot's next worker (after a crash or a reload) inherits it and serves the
 * same queue, and the port stays bound even when every worker is down.
 * Pure-JS bindings (fallback, TLS, ws) are node:cluster's: none is kept.
 * When duplicating fails (kernel < 5.6, EPERM, no addon) nothing is kept for
 * that slot and a warning is logged once: its next worker binds a new
 * SO_REUSEPORT socket, as before.
 */
export class HeldListeners {
  private readonly held = new Map<number, Array<number | null>>();
  private warned = false;

  constructor(private readonly logger: Logger) {}

  /** What slot `id`'s next worker inherits: per binding the primary's fd, or null. */
  fdsOf(id: number): Array<number | null> {
    return this.held.get(id) ?? [];
  }

  /**
   * Slot `id`'s worker `pid` serves `bound`: keep a duplicate of each native
   * listener, unless the slot already holds one (the worker inherited it).
   */
  take(id: number, pid: number, bound: BoundBinding[]): void {
    const kept = this.held.get(id) ?? [];
    const next = bound.map((b, i) => kept[i] ?? (b.transport === 'native' ? this.dup(pid, b.fd, i) : null));
    // A slot keeps what it had for bindings its worker no longer reports (closed at stop, not lost).
    for (let i = next.length; i < kept.length; i++) next.push(kept[i] ?? null);
    this.held.set(id, next);
  }

  /**
   * Slot `id` lets its sockets go (its worker cannot come back for now): the
   * kernel stops routing new connections to a queue nobody accepts from, and
   * the ones waiting there are reset, as without a kept socket. The slot's
   * next worker binds anew (and that socket is kept again).
   */
  release(id: number): void {
    for (const fd of this.held.get(id) ?? []) if (fd !== null) closeQuietly(fd);
    this.held.delete(id);
  }

  /** pool.stop(): every duplicate is closed (the workers have exited; the sockets go with the last fd). */
  closeAll(): void {
    for (const id of [...this.held.keys()]) this.release(id);
  }

  private dup(pid: number, fd: number | null, binding: number): number | null {
    const r = fd === null ? { error: 'the worker did not report its listening fd' } : dupFromProcess(pid, fd);
    if ('fd' in r) return r.fd;
    if (!this.warned) {
      this.warned = true;
      this.logger.warn(
        { pid, binding, why: r.error },
        'qrpc: cannot keep a duplicate of a worker\'s listening socket (needs Linux >= 5.6 and ptrace access to the worker); a crashed or reloaded worker\'s accept queue is lost',
      );
    }
    return null;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing is left to release.
  }
}
