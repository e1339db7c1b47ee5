import { WebSocket } from 'ws';
import { QrpcError } from '../../protocol/errors.js';
import type { ConnectOptions, TransportConnection } from '../../transport/types.js';
import { WsConnection } from './connection.js';

const MESSAGE_HEADROOM = 16;

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Dials ws://host:port/path (wss:// when `options.tls` is set: its node:tls
 * options go to the HTTPS upgrade request); resolves once the upgrade
 * completed (nothing read before attach()).
 */
export function connectWs(path: string, options: ConnectOptions): Promise<TransportConnection> {
  const secure = options.tls !== null && options.tls !== undefined;
  const url = `${secure ? 'wss' : 'ws'}://${hostInUrl(options.host)}:${options.port}${path}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = new WebSocket(url, {
      ...(secure ? options.tls : {}),
      // Go's client offers no subprotocol and no compression: the same bytes on the wire.
      perMessageDeflate: false,
      maxPayload: options.maxFrameSize + MESSAGE_HEADROOM,
      handshakeTimeout: options.connectTimeoutMs > 0 ? options.connectTimeoutMs : undefined,
    });
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      socket.terminate();
      const timedOut = /handshake has timed out/i.test(err.message);
      reject(
        timedOut
          ? new QrpcError('ERR_TIMEOUT', `connect to ${url} timed out after ${options.connectTimeoutMs} ms`)
          : new QrpcError('ERR_CONNECT', `connect to ${url}: ${err.message}`, { cause: err }),
      );
    };
    socket.once('error', fail);
    socket.once('close', () => fail(new Error('closed during the upgrade')));
    socket.once('open', () => {
      if (settled) return;
      settled = true;
      socket.off('error', fail);
      socket.removeAllListeners('close');
      // The connection takes over the socket's events from here (it pauses reading until attach()).
      resolve(new WsConnection(socket, options, 'client'));
    });
  });
}
