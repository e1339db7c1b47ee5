import { QrpcError } from '../../protocol/errors.js';
import { WRITE_CLOSED, type ConnectOptions, type ListenOptions, type Transport, type TransportConnection, type TransportListener } from '../../transport/types.js';
import { resolveServerOverlay, DEFAULT_WS_PATH, type WsServerOverlay } from './options.js';
import { listenWs, type HttpServerFactory } from './listen.js';
import { connectWs } from './connect.js';
import { WsConnection } from './connection.js';
import { serverMessages } from './message-frames.js';

export type { WsServerOverlay, WsClientOverlay } from './options.js';
export { DEFAULT_WS_PATH } from './options.js';

/**
 * The WebSocket overlay as a transport: `ws` on node:http, whichever TCP
 * backend is selected (the native addon does not terminate WebSocket).
 * One per binding / dialled address, since the path and hooks are its own.
 */
export function wsServerTransport(overlay: 'ws' | WsServerOverlay, createServer?: HttpServerFactory): Transport {
  const resolved = resolveServerOverlay(overlay);
  return {
    name: 'ws',
    listen: (options: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> => listenWs(resolved, options, onConnection, createServer),
    connect: (options: ConnectOptions) => connectWs(DEFAULT_WS_PATH, options),
    broadcast,
  };
}

export function wsClientTransport(path: string): Transport {
  return {
    name: 'ws',
    listen: () => Promise.reject(new QrpcError("ERR_INVALID_ARG", "a client transport does not listen")),
    connect: (options: ConnectOptions) => connectWs(path, options),
    broadcast,
  };
}

/** A server's connections share one encoding of the messages (unmasked: the same bytes for every peer); a client's mask their own. */
function broadcast(conns: Iterable<TransportConnection>, bytes: Buffer): number {
  let n = 0;
  let messages: Buffer[] | null = null;
  let size = 0;
  for (const conn of conns) {
    if (conn.closed) continue;
    let result;
    if (conn instanceof WsConnection && conn.sharesMessages) {
      if (messages === null) {
        messages = serverMessages(bytes);
        for (const m of messages) size += m.length;
      }
      result = conn.writeShared(messages, size);
    } else result = conn.writeRaw(bytes);
    if (result !== WRITE_CLOSED) n++;
  }
  return n;
}
