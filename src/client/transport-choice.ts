import { transport as selectedBackend } from '../transport/select.js';
import { tlsTransport } from '../transport/tls/index.js';
import type { Transport } from '../transport/types.js';
import type { HostPort } from '../util/address.js';
import type { ClientOptions } from './options.js';

/**
 * The transport a client dials an address with. Plain TCP addresses use the
 * selected backend (native or fallback); a tls:// address, or the `tls`
 * option, uses the TLS transport. Overlays (ws://, wss://) add their
 * transports here, each behind the same seam.
 */
export function transportFor(address: HostPort, options: ClientOptions): Transport {
  if (address.scheme === 'tls' || options.tls) return tlsTransport;
  return selectedBackend();
}
