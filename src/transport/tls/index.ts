import { fallbackTransport } from '../fallback/index.js';
import type { Transport } from '../types.js';
import { connectTls } from './connect.js';
import { listenTls } from './listen.js';

/**
 * TLS over TCP on node:tls, used for TLS bindings and tls:// addresses on
 * either backend (the native addon does not do TLS). Connections are the
 * fallback's, so framing, timeouts and backpressure behave the same;
 * broadcast is the fallback's too.
 */
export const tlsTransport: Transport = {
  name: 'tls',
  listen: listenTls,
  connect: connectTls,
  broadcast: fallbackTransport.broadcast,
};
