import { parseAddress } from '../../util/address.js';
import type { BindingOptions } from '../../server/options.js';
import { MachineBroker } from './machine-broker.js';

/**
 * What a worker module gets: its slot number and `bindings()`, which makes
 * the server's bindings share the port with the other workers.
 */
export class WorkerContext {
  /** The worker's slot, 0 .. workers-1 (a restarted worker takes its slot's number again). */
  readonly id: number;
  private readonly ports: Array<number | null>;
  private machineBroker: MachineBroker | null = null;

  /**
   * @internal made by the worker entry; confirmTimeoutMs is the hub's (serveWorkers' option); fds the
   * listening sockets the primary kept for this slot, inherited by this process (per binding, or null).
   */
  constructor(id: number, ports: Array<number | null>, private readonly confirmTimeoutMs = 5_000, private readonly fds: Array<number | null> = []) {
    this.id = id;
    this.ports = ports;
  }

  /**
   * The machine-local broker (the primary is its hub): pass it as the
   * server's `broker` so pushes by id and to all, kicks and id lookups reach
   * every worker of this machine. One per worker.
   */
  get broker(): MachineBroker {
    // The hub answers within its own confirmTimeoutMs (it waits for the other workers that long): the margin covers the IPC hops.
    return (this.machineBroker ??= new MachineBroker(this.confirmTimeoutMs + 5_000));
  }

  /**
   * Every binding with reusePort (native listeners: one socket per worker,
   * SO_REUSEPORT; pure-JS ones: the node:cluster shared handle), and the port
   * the first worker bound for a native binding whose port was 0. A native
   * binding of a restarted or reloaded worker serves the very socket its
   * slot's previous worker served (kept by the primary, inherited as `fd`),
   * so the connections waiting in its accept queue are not lost.
   */
  bindings(list: BindingOptions[]): BindingOptions[] {
    return list.map((b, i) => {
      const port = this.ports[i] ?? null;
      const fd = this.fds[i] ?? null;
      // Only a plain TCP binding can be native: TLS and ws ones share node:cluster's handle.
      const inherit = fd !== null && b.tls === undefined && b.overlay === undefined ? { fd } : {};
      if (port === null) return { ...b, reusePort: true, ...inherit };
      const at = parseAddress(b.addr, '');
      return { ...b, addr: { ...at, port }, reusePort: true, ...inherit };
    });
  }
}
