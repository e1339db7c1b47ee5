import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ListenOptions, TransportConnection, TransportListener } from '../../transport/types.js';
import type { ResolvedWsServer } from './options.js';
import { ThrottleGate, heldLimit } from '../../transport/throttle-gate.js';
import { startNetListener } from '../../transport/listen-target.js';
import { WsConnection } from './connection.js';

/** Headroom over maxFrameSize for a message: the 4 length bytes and a little slack (one frame per message from Go). */
const MESSAGE_HEADROOM = 16;

/**
 * Builds the HTTP(S) server the overlay listens on. Plain HTTP today; wss is
 * this with an https.Server (TLS options from the binding) — nothing else changes.
 */
export type HttpServerFactory = (options: http.ServerOptions) => http.Server;
const plainHttp: HttpServerFactory = (options) => http.createServer(options);

function refuse(socket: Duplex, status: number, text: string): void {
  // node:http leaves an upgrade socket without an error listener: a peer's reset here must not crash the process.
  socket.on('error', () => {});
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** An HTTP listener whose path upgrades to qrpc-over-WebSocket; every other request gets 404. */
export function listenWs(
  ws: ResolvedWsServer,
  options: ListenOptions,
  onConnection: (conn: TransportConnection) => void,
  createServer: HttpServerFactory = plainHttp,
): Promise<TransportListener> {
  return new Promise((resolve, reject) => {
    const server = createServer({ maxHeaderSize: ws.maxUpgradeBytes, noDelay: options.noDelay });
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameSize + MESSAGE_HEADROOM,
      perMessageDeflate: false,
      // Go's upgrader offers "null" (its Subprotocols list); a client that asks for it gets it, others get none.
      handleProtocols: (protocols) => (protocols.has('null') ? 'null' : false),
      clientTracking: false,
    });
    const accept = (socket: WebSocket) => onConnection(new WsConnection(socket, options, 'server'));
    // Throttled: upgraded connections wait in the gate, paused, until resume() (bounded like the fallback's).
    const gate = new ThrottleGate<WebSocket>(
      heldLimit(options.backlog),
      accept,
      (conn) => conn.readyState === 1,
      (conn) => conn.terminate(),
      (conn) => conn.pause(),
    );
    server.on('request', (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    });
    server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== ws.path) return refuse(socket, 404, 'Not Found');
      let allowed: boolean;
      try {
        allowed = ws.allowOrigin(String(req.headers.origin ?? ''), req) === true;
      } catch {
        allowed = false;
      }
      if (!allowed) return refuse(socket, 403, 'Forbidden');
      wss.handleUpgrade(req, socket, head, (conn) => gate.offer(conn));
    });
    // Requests waiting on keep-alive would hold close(); upgraded connections are the core's to close.
    startNetListener(server, options, gate, { whileClosing: () => server.closeIdleConnections() }).then(resolve, reject);
  });
}
