import { transport as selectedBackend } from '../transport/select.js';
import type { Transport } from '../transport/types.js';
import type { ParsedAddress } from '../util/address.js';
import { QrpcError } from '../protocol/errors.js';
import { wsClientTransport, DEFAULT_WS_PATH } from '../overlays/ws/index.js';
import { checkPath } from '../overlays/ws/options.js';
import type { ClientOptions } from './options.js';

/**
 * The transport a client dials an address with. Plain TCP addresses use the
 * selected backend (native or fallback); overlays and encryption (tls://,
 * ws://, wss://) add their transports here, each behind the same seam.
 * A ws:// address carries its own path; the `overlay` option puts plain
 * host:port addresses on the overlay (path from the option, else "/qrpc").
 */
export function transportFor(address: ParsedAddress, options: ClientOptions): Transport {
  if (address.scheme === 'ws') return wsClientTransport(address.path ?? DEFAULT_WS_PATH);
  const overlay = options.overlay;
  if (overlay === undefined) return selectedBackend();
  if (overlay === 'ws') return wsClientTransport(DEFAULT_WS_PATH);
  if (overlay !== null && typeof overlay === 'object' && overlay.type === 'ws') return wsClientTransport(checkPath(overlay.path ?? DEFAULT_WS_PATH));
  throw new QrpcError('ERR_INVALID_ARG', `overlay must be 'ws' or { type: 'ws', path }`);
}
