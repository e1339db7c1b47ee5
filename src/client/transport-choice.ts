import { transport as selectedBackend } from '../transport/select.js';
import type { Transport } from '../transport/types.js';
import type { HostPort } from '../util/address.js';
import type { ClientOptions } from './options.js';

/**
 * The transport a client dials an address with. Plain TCP addresses use the
 * selected backend (native or fallback); overlays and encryption (tls://,
 * ws://, wss://) add their transports here, each behind the same seam.
 */
export function transportFor(_address: HostPort, _options: ClientOptions): Transport {
  return selectedBackend();
}
