import type { HostPort } from '../util/address.js';
import type { Connection } from './connection.js';
import { openConnection } from './open.js';
import type { ClientOptions } from './options.js';
import { transportFor } from './transport-choice.js';

/**
 * Connects to a qrpc server (Go's NewConnection / NewConnectionWithReconnect).
 * Several addresses: tried in (shuffled) round-robin order; resolves with the
 * first that connects, rejects with the last error after one failed round.
 */
export function connect(addr: string | HostPort | Array<string | HostPort>, options: ClientOptions = {}): Promise<Connection> {
  return openConnection(addr, options, transportFor);
}
