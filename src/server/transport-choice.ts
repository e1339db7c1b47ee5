import { transport as selectedBackend } from '../transport/select.js';
import { tlsTransport } from '../transport/tls/index.js';
import type { Transport } from '../transport/types.js';
import type { BindingOptions } from './options.js';

/**
 * The transport that serves a binding. Plain TCP bindings use the selected
 * backend (native or fallback); a `tls` binding is served by the TLS
 * transport on either backend (the native addon does not do TLS). Overlays
 * (WebSocket) add their transports here, each behind the same seam.
 */
export function transportFor(options: BindingOptions): Transport {
  if (options.tls) return tlsTransport;
  return selectedBackend();
}
