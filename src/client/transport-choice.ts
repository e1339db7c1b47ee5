import { transport as selectedBackend } from '../transport/select.js';
import { tlsTransport } from '../transport/tls/index.js';
import type { Transport } from '../transport/types.js';
import type { HostPort } from '../util/address.js';
import { QrpcError } from '../protocol/errors.js';
import { wsClientTransport, DEFAULT_WS_PATH } from '../overlays/ws/index.js';
import { checkPath } from '../overlays/ws/options.js';
import type { ClientOptions } from './options.js';

/**
 * The transport a client dials an address with. Plain TCP addresses use the
 * selected backend (native or fallback); a tls:// address, or the `tls`
 * option, uses the TLS transport; a ws:// address carries its own path, and
 * the `overlay` option puts plain host:port addresses on the WebSocket
 * overlay (path from the option, else "/qrpc").
 */
export function transportFor(address: HostPort, options: ClientOptions): Transport {
  // wss:// is the overlay with the `tls` options on its HTTPS upgrade (connectWs reads them from the connect options).
  if (address.scheme === 'ws' || address.scheme === 'wss') return wsClientTransport(address.path ?? DEFAULT_WS_PATH);
  const overlay = options.overlay;
  if (overlay === undefined) return address.scheme === 'tls' || options.tls ? tlsTransport : selectedBackend();
  if (overlay === 'ws') return wsClientTransport(DEFAULT_WS_PATH);
  if (overlay !== null && typeof overlay === 'object' && overlay.type === 'ws') return wsClientTransport(checkPath(overlay.path ?? DEFAULT_WS_PATH));
  throw new QrpcError('ERR_INVALID_ARG', `overlay must be 'ws' or { type: 'ws', path }`);
}
