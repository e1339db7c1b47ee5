import { transport as selectedBackend } from '../transport/select.js';
import { tlsTransport } from '../transport/tls/index.js';
import type { Transport } from '../transport/types.js';
import { wsServerTransport } from '../overlays/ws/index.js';
import https from 'node:https';
import type { BindingOptions } from './options.js';

/**
 * The transport that serves a binding. Plain TCP bindings use the selected
 * backend (native or fallback); a `tls` binding is served by the TLS
 * transport on either backend (the native addon does not do TLS). Overlays
 * (WebSocket) add their transports here, each behind the same seam.
 */
export function transportFor(options: BindingOptions): Transport {
  if (options.overlay !== undefined) {
    // wss: the same overlay on an HTTPS listener (node:https takes the node:tls options).
    const tls = options.tls;
    return tls ? wsServerTransport(options.overlay, (http) => https.createServer({ handshakeTimeout: 10_000, ...http, ...tls })) : wsServerTransport(options.overlay);
  }
  if (options.tls) return tlsTransport;
  return selectedBackend();
}
