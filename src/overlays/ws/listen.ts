import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { QrpcError } from '../../protocol/errors.js';
import type { ListenOptions, TransportConnection, TransportListener } from '../../transport/types.js';
import type { ResolvedWsServer } from './options.js';
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
    // Throttled: upgraded connections wait here, unread, until resume() (bounded like the fallback's).
    let paused = false;
    const held: WebSocket[] = [];
    const maxHeld = options.backlog > 0 ? options.backlog : 511;
    const accept = (socket: WebSocket) => onConnection(new WsConnection(socket, options));
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
      wss.handleUpgrade(req, socket, head, (conn) => {
        if (!paused) accept(conn);
        else if (held.length < maxHeld) {
          conn.pause();
          held.push(conn);
        } else conn.terminate();
      });
    });
    server.once('error', (err) => reject(new QrpcError('ERR_SOCKET', `listen ${options.host}:${options.port}: ${err.message}`, { cause: err })));
    server.listen({ host: options.host, port: options.port, backlog: options.backlog, exclusive: !options.reusePort }, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        host: addr.address,
        port: addr.port,
        family: addr.family,
        pause() {
          paused = true;
        },
        resume() {
          paused = false;
          for (const conn of held.splice(0)) if (conn.readyState === 1) accept(conn);
        },
        close() {
          for (const conn of held.splice(0)) conn.terminate();
          return new Promise<void>((done) => {
            if (!server.listening) return done();
            server.close(() => done());
            // Requests waiting on keep-alive would hold close(); upgraded connections are the core's to close.
            server.closeIdleConnections();
            setImmediate(done);
          });
        },
      });
    });
  });
}
