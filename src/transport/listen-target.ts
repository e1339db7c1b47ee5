import type net from 'node:net';
import type { ListenOptions } from './types.js';

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
