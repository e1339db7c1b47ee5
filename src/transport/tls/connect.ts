import tls from 'node:tls';
import { QrpcError } from '../../protocol/errors.js';
import type { ConnectOptions, TransportConnection } from '../types.js';
import { TlsConnection } from './connection.js';
import { dialError } from './errors.js';

/**
 * Dials TLS. Resolves once the handshake is done and the server's certificate
 * checked (node:tls rejects an untrusted, expired or misnamed one unless
 * `rejectUnauthorized: false`); the connect timeout covers TCP and handshake.
 */
export function connectTls(options: ConnectOptions): Promise<TransportConnection> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ ...options.tls, host: options.host, port: options.port });
    let timer: NodeJS.Timeout | null = null;
    if (options.connectTimeoutMs > 0) {
      timer = setTimeout(() => {
        socket.destroy();
        reject(new QrpcError('ERR_TIMEOUT', `TLS connect to ${options.host}:${options.port} timed out after ${options.connectTimeoutMs} ms`));
      }, options.connectTimeoutMs);
    }
    const onError = (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      reject(dialError(options.host, options.port, err));
    };
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      if (timer) clearTimeout(timer);
      socket.off('error', onError);
      resolve(new TlsConnection(socket, options));
    });
  });
}
