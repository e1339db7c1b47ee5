import { QrpcError } from '../protocol/errors.js';
import { parseAddress, type HostPort } from '../util/address.js';
import { Connection } from './connection.js';
import type { ClientOptions } from './options.js';

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Connects to a qrpc server (Go's NewConnection / NewConnectionWithReconnect).
 * Several addresses: tried in (shuffled) round-robin order; resolves with the
 * first that connects, rejects with the last error after one failed round.
 */
export async function connect(addr: string | HostPort | Array<string | HostPort>, options: ClientOptions = {}): Promise<Connection> {
  const list = (Array.isArray(addr) ? addr : [addr]).map((a) => parseAddress(a, '127.0.0.1'));
  if (list.length === 0) throw new QrpcError('ERR_INVALID_ARG', 'connect needs at least one address');
  const shuffled = options.reconnect && (typeof options.reconnect !== 'object' || options.reconnect.shuffle !== false) ? shuffle(list) : list;
  return new Connection(shuffled, options).open();
}
