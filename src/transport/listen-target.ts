import type net from 'node:net';
import { QrpcError } from '../protocol/errors.js';
import type { ListenOptions, TransportListener } from './types.js';

/** node:net listen() arguments of a pure-JS listener: the inherited socket when there is one, else host:port. */
export function netListenArgs(options: ListenOptions): net.ListenOptions {
  const where = options.fd != null ? { fd: options.fd } : { host: options.host, port: options.port };
  return { ...where, backlog: options.backlog, exclusive: !options.reusePort };
}

/** What a listen error names: the inherited fd, or host:port. */
export function listenTarget(options: ListenOptions): string {
  return options.fd != null ? `fd ${options.fd}` : `${options.host}:${options.port}`;
}

/**
 * node:net has no public accessor for a listening socket's fd; libuv's handle
 * carries it on Unix. A graceful restart needs the fd itself: handing a
 * net.Server over IPC instead would keep the old process as the socket's
 * owner (cluster-style), so it could never exit.
 */
export function listeningFd(server: net.Server): number | null {
  const fd = (server as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : null;
}

/** What a pure-JS listener's close and throttle act on (a ThrottleGate of any socket kind). */
interface HeldConnections {
  pause(): void;
  resume(): void;
  dropAll(): void;
}

/**
 * Listens with a net.Server (or an http.Server) whose accepted sockets go
 * through `gate`, and resolves with the TransportListener the pure-JS
 * transports share: address, throttle, close (drops the held sockets, then
 * `onClose`, then stops the server without waiting for open connections:
 * `whileClosing` runs after server.close() starts), fd.
 */
export function startNetListener(
  server: net.Server,
  options: ListenOptions,
  gate: HeldConnections,
  hooks: { onClose?(): void; whileClosing?(): void } = {},
): Promise<TransportListener> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new QrpcError('ERR_SOCKET', `listen ${listenTarget(options)}: ${err.message}`, { cause: err })));
    server.listen(netListenArgs(options), () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
        family: addr.family,
        pause: () => gate.pause(),
        resume: () => gate.resume(),
        close() {
          gate.dropAll();
          hooks.onClose?.();
          return new Promise<void>((done) => {
            if (!server.listening) return done();
            server.close(() => done());
            hooks.whileClosing?.();
            // Existing connections keep the server open; close() must not wait for them.
            setImmediate(done);
          });
        },
        fd: () => listeningFd(server),
      });
    });
  });
}
