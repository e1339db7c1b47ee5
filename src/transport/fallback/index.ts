import net from 'node:net';
import { QrpcError } from '../../protocol/errors.js';
import { WRITE_CLOSED, type ConnectOptions, type ListenOptions, type Transport, type TransportConnection, type TransportListener } from '../types.js';
import { FallbackConnection } from './connection.js';
import { ThrottleGate, heldLimit } from '../throttle-gate.js';
import { startNetListener } from '../listen-target.js';

/** The pure-TypeScript backend on node:net. */
export const fallbackTransport: Transport = {
  name: 'fallback',

  listen(options: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
    // Throttled sockets wait in the gate, unread, until resume().
    const gate = new ThrottleGate<net.Socket>(
      heldLimit(options.backlog),
      (socket) => onConnection(new FallbackConnection(socket, options)),
      (socket) => !socket.destroyed,
      (socket) => socket.destroy(),
    );
    const server = net.createServer({ pauseOnConnect: true, noDelay: options.noDelay }, (socket) => gate.offer(socket));
    return startNetListener(server, options, gate);
  },

  connect(options: ConnectOptions): Promise<TransportConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port, noDelay: options.noDelay });
      let timer: NodeJS.Timeout | null = null;
      if (options.connectTimeoutMs > 0) {
        timer = setTimeout(() => {
          socket.destroy();
          reject(new QrpcError('ERR_TIMEOUT', `connect to ${options.host}:${options.port} timed out after ${options.connectTimeoutMs} ms`));
        }, options.connectTimeoutMs);
      }
      const onError = (err: Error) => {
        if (timer) clearTimeout(timer);
        reject(new QrpcError('ERR_CONNECT', `connect to ${options.host}:${options.port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        if (timer) clearTimeout(timer);
        socket.off('error', onError);
        resolve(new FallbackConnection(socket, options));
      });
    });
  },

  broadcast(conns: Iterable<TransportConnection>, bytes: Buffer): number {
    let n = 0;
    for (const conn of conns) {
      if (conn.closed) continue;
      // Only connections that queued the bytes count: a closing one refuses them.
      const result = conn instanceof FallbackConnection ? conn.writeShared(bytes) : conn.writeRaw(bytes);
      if (result !== WRITE_CLOSED) n++;
    }
    return n;
  },
};
