import { transport as selectedBackend } from '../transport/select.js';
import type { Transport } from '../transport/types.js';
import { wsServerTransport } from '../overlays/ws/index.js';
import type { BindingOptions } from './options.js';

/**
 * The transport that serves a binding. Plain TCP bindings use the selected
 * backend (native or fallback); overlays and encryption (TLS, WebSocket) add
 * their transports here, each behind the same seam.
 */
export function transportFor(options: BindingOptions): Transport {
  if (options.overlay !== undefined) return wsServerTransport(options.overlay);
  return selectedBackend();
}
