import type { TLSSocket } from 'node:tls';
import type { ErrorCode } from '../../protocol/errors.js';
import { FallbackConnection } from '../fallback/connection.js';
import type { SocketOptions, TlsPeerInfo } from '../types.js';
import { isTlsError } from './errors.js';

/** What the handshake settled about the peer; read once, as it no longer changes. */
export function peerInfoOf(socket: TLSSocket): TlsPeerInfo {
  const cert = socket.getPeerCertificate();
  // Node returns {} (not null) when the peer sent no certificate.
  const peerCertificate = cert && Object.keys(cert).length > 0 ? cert : null;
  const error = socket.authorizationError as unknown;
  return {
    peerCertificate,
    authorized: socket.authorized === true,
    authorizationError: error == null ? null : String(error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : error),
    protocol: socket.getProtocol() ?? null,
  };
}

/**
 * A TLSSocket is a net.Socket, so the fallback's connection serves it as is;
 * this adds the peer's TLS facts and names TLS failures (an alert after the
 * handshake, e.g. the server refusing our certificate under TLS 1.3) ERR_TLS.
 */
export class TlsConnection extends FallbackConnection {
  private readonly peer: TlsPeerInfo;

  constructor(socket: TLSSocket, options: SocketOptions) {
    super(socket, options);
    this.peer = peerInfoOf(socket);
  }

  tlsInfo(): TlsPeerInfo {
    return this.peer;
  }

  protected override socketErrorCode(err: NodeJS.ErrnoException): ErrorCode {
    return isTlsError(err) ? 'ERR_TLS' : 'ERR_SOCKET';
  }
}
