import { QrpcError } from '../protocol/errors.js';
import { parseAddress, type HostPort } from '../util/address.js';
import { Connection, type TransportChooser } from './connection.js';
import type { ClientOptions } from './options.js';

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * What connect() does on any platform: parse the addresses, shuffle them
 * when reconnecting (as Go), and open the first that answers with the
 * platform's transports (Node: backends, TLS, ws overlay; browser: WebSocket).
 */
export async function openConnection(addr: string | HostPort | Array<string | HostPort>, options: ClientOptions, transportFor: TransportChooser): Promise<Connection> {
  const list = (Array.isArray(addr) ? addr : [addr]).map((a) => parseAddress(a, '127.0.0.1'));
  if (list.length === 0) throw new QrpcError('ERR_INVALID_ARG', 'connect needs at least one address');
  const shuffled = options.reconnect && (typeof options.reconnect !== 'object' || options.reconnect.shuffle !== false) ? shuffle(list) : list;
  return new Connection(shuffled, options, transportFor).open();
}
