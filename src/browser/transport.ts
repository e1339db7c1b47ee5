import { QrpcError } from '../protocol/errors.js';
import { WRITE_CLOSED, type ConnectOptions, type Transport, type TransportConnection } from '../transport/types.js';
import type { HostPort } from '../util/address.js';
import { BrowserWsConnection } from './ws-connection.js';
import { webSocketConstructor, type BrowserWebSocket } from './web-socket.js';

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The only transport of the browser build: ws:// and wss:// addresses on the
 * page's WebSocket (the browser does TLS, with its own trust store).
 */
export function browserTransportFor(address: HostPort): Transport {
  if (address.scheme !== 'ws' && address.scheme !== 'wss') {
    throw new QrpcError('ERR_INVALID_ARG', `the browser client dials ws:// or wss:// URLs, got ${address.scheme ?? 'tcp'} address ${address.host}:${address.port}`);
  }
  const url = `${address.scheme}://${hostInUrl(address.host)}:${address.port}${address.path ?? '/qrpc'}`;
  return {
    name: 'ws',
    listen: () => Promise.reject(new QrpcError('ERR_INVALID_ARG', 'the browser client does not listen')),
    connect: (options: ConnectOptions) => connectBrowserWs(url, options),
    broadcast: (conns, bytes) => {
      let n = 0;
      for (const conn of conns) if (!conn.closed && conn.writeRaw(bytes) !== WRITE_CLOSED) n++;
      return n;
    },
  };
}

/** Resolves once the WebSocket is open; ERR_CONNECT when it closes first (a page learns no more), ERR_TIMEOUT after connectTimeoutMs. */
function connectBrowserWs(url: string, options: ConnectOptions): Promise<TransportConnection> {
  const WebSocketCtor = webSocketConstructor();
  if (WebSocketCtor === null) return Promise.reject(new QrpcError('ERR_CONNECT', 'no WebSocket in this environment'));
  return new Promise((resolve, reject) => {
    let ws: BrowserWebSocket;
    try {
      ws = new WebSocketCtor(url);
    } catch (err) {
      // The constructor throws SyntaxError for a URL it refuses (e.g. a blocked port).
      reject(new QrpcError('ERR_CONNECT', `connect to ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const ms = options.connectTimeoutMs;
    const timer = ms > 0 ? setTimeout(() => fail(new QrpcError('ERR_TIMEOUT', `connect to ${url} timed out after ${ms} ms`)), ms) : null;
    const fail = (error: QrpcError) => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      ws.onopen = ws.onclose = ws.onerror = null;
      ws.close();
      reject(error);
    };
    ws.onerror = () => {};
    ws.onclose = (event) => fail(new QrpcError('ERR_CONNECT', `connect to ${url} failed (WebSocket closed with code ${event.code}${event.reason ? `: ${event.reason}` : ''})`));
    ws.onopen = () => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      resolve(new BrowserWsConnection(ws, options, options.host, options.port));
    };
  });
}
