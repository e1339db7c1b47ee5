import type { Connection } from '../client/connection.js';
import { openConnection } from '../client/open.js';
import type { ClientOptions } from '../client/options.js';
import { consoleLogger } from './console-logger.js';
import { browserTransportFor } from './transport.js';

/**
 * Client options in a page: the Node client's, less what the browser does
 * itself (TLS and its trust, TCP socket knobs, ping keep-alive).
 */
export type BrowserClientOptions = Omit<ClientOptions, 'tls' | 'overlay' | 'keepAliveMs' | 'noDelay' | 'sendBufferSize' | 'receiveBufferSize'>;

/**
 * Connects to a qrpc server's WebSocket overlay: ws://host:port/path or
 * wss://… (several: tried round-robin, as the Node client). The same
 * Connection as in Node; payloads arrive as Uint8Arrays (Buffer-compatible).
 */
export function connect(addr: string | string[], options: BrowserClientOptions = {}): Promise<Connection> {
  return openConnection(addr, { ...options, logger: options.logger ?? consoleLogger }, browserTransportFor);
}
