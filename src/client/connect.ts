import type { HostPort } from '../util/address.js';
import type { Connection } from './connection.js';
import { openConnection } from './open.js';
import type { ClientOptions } from './options.js';
import { transportFor } from './transport-choice.js';
import { announceFallback } from '../core/backend-notice.js';
import { stderrLogger } from '../core/logger.js';
import type { Transport } from '../transport/types.js';

/** The Node transports; the first dial on the fallback says once why the addon is not in use (the browser build has its own chooser). */
function nodeTransportFor(address: HostPort, options: ClientOptions): Transport {
  const transport = transportFor(address, options);
  announceFallback(transport, options.logger ?? stderrLogger);
  return transport;
}

/**
 * Connects to a qrpc server (Go's NewConnection / NewConnectionWithReconnect).
 * Several addresses: tried in (shuffled) round-robin order; resolves with the
 * first that connects, rejects with the last error after one failed round.
 */
export function connect(addr: string | HostPort | Array<string | HostPort>, options: ClientOptions = {}): Promise<Connection> {
  return openConnection(addr, options, nodeTransportFor);
}
