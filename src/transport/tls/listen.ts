import net from 'node:net';
import { ThrottleGate, heldLimit } from '../throttle-gate.js';
import { startNetListener } from '../listen-target.js';
import tls from 'node:tls';
import { QrpcError } from '../../protocol/errors.js';
import type { ListenOptions, TransportConnection, TransportListener } from '../types.js';
import { TlsConnection } from './connection.js';

/** Node's own default is 120 s: far too long for a peer that connects and says nothing. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The raw socket under a TLSSocket (node keeps it as `_parent`); null if a future node drops it. */
function parentOf(socket: tls.TLSSocket): net.Socket | null {
  const parent = (socket as unknown as { _parent?: unknown })._parent;
  return parent instanceof net.Socket ? parent : null;
}

/**
 * TLS listener. A plain net.Server accepts (paused, so throttling holds
 * sockets unread exactly as the fallback does); each accepted socket is then
 * handed to a non-listening tls.Server, which does the handshake, its timeout
 * and the client-certificate check. Only a socket whose handshake succeeded
 * reaches onConnection; every failure is reported to onHandshakeError and
 * the socket dropped, so no peer can take the listener down.
 */
export function listenTls(options: ListenOptions, onConnection: (conn: TransportConnection) => void): Promise<TransportListener> {
  return new Promise((resolve, reject) => {
    let secure: tls.Server;
    try {
      secure = tls.createServer({ handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS, ...options.tls });
    } catch (err) {
      // e.g. a key that does not parse, or a key that does not match the certificate.
      reject(new QrpcError('ERR_TLS', `listen ${options.host}:${options.port}: bad TLS options: ${(err as Error).message}`, { cause: err }));
      return;
    }
    let closed = false;
    /** Raw sockets whose handshake is under way (dropped by close()), with the peer they came from. */
    const handshaking = new Map<net.Socket, { address: string; port: number }>();

    const report = (error: QrpcError, peer: { address: string; port: number }) => {
      try {
        options.onHandshakeError?.(error, peer);
      } catch {
        // A reporting hook must not turn a refused peer into a crash.
      }
    };

    /** Set if node stops exposing the raw socket: close() then cannot tell handshakes from live connections. */
    let untracked = false;

    secure.on('secureConnection', (socket: tls.TLSSocket) => {
      const raw = parentOf(socket);
      if (raw !== null) handshaking.delete(raw);
      else untracked = true;
      if (closed) {
        socket.destroy();
        return;
      }
      onConnection(new TlsConnection(socket, options));
    });

    secure.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      const raw = parentOf(socket);
      const peer = (raw !== null ? handshaking.get(raw) : undefined) ?? { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
      if (raw !== null) handshaking.delete(raw);
      // Node refuses an untrusted client certificate after the handshake by destroying the socket, which then
      // surfaces here as a disconnect: the certificate check's own code says what really happened.
      const refused = socket.authorizationError as unknown;
      const cause = refused ? Object.assign(new Error(`client certificate refused: ${String(refused)}`), { code: String(refused) }) : err;
      const code = (cause as NodeJS.ErrnoException).code ?? cause.message;
      socket.destroy();
      report(new QrpcError('ERR_TLS', `TLS handshake with ${peer.address}:${peer.port} failed: ${code}`, { cause }), peer);
    });

    const accept = (raw: net.Socket) => {
      raw.setNoDelay(options.noDelay);
      if (options.keepAliveMs > 0) raw.setKeepAlive(true, options.keepAliveMs);
      handshaking.set(raw, { address: raw.remoteAddress ?? '', port: raw.remotePort ?? 0 });
      raw.once('close', () => handshaking.delete(raw));
      // tls.Server documents 'connection' as the way to hand it a socket it did not accept itself.
      secure.emit('connection', raw);
    };

    // Throttled sockets wait in the gate, unread (and not yet handshaking), until resume().
    const gate = new ThrottleGate<net.Socket>(heldLimit(options.backlog), accept, (raw) => !raw.destroyed, (raw) => raw.destroy());
    const server = net.createServer({ pauseOnConnect: true, noDelay: options.noDelay }, (raw) => gate.offer(raw));
    startNetListener(server, options, gate, {
      onClose() {
        closed = true;
        // A handshake still running would otherwise deliver a connection to a closed listener (and
        // keep the process up to handshakeTimeout). Untracked, they end at secureConnection or the timeout.
        if (!untracked) for (const raw of [...handshaking.keys()]) raw.destroy();
        handshaking.clear();
      },
    }).then(resolve, reject);
  });
}
