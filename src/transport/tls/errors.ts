import { QrpcError } from '../../protocol/errors.js';

/**
 * Whether a socket error is TLS's own (handshake, alert, certificate check)
 * rather than the network's. Node gives TLS failures codes of two shapes:
 * ERR_SSL_* / ERR_TLS_* (protocol, alerts, timeout, hostname) and OpenSSL's
 * verify codes (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ...);
 * network errors are errno names (ECONNRESET, ECONNREFUSED, EAI_AGAIN).
 */
export function isTlsError(err: NodeJS.ErrnoException): boolean {
  const code = err.code;
  if (typeof code !== 'string') return false;
  if (/^ERR_(SSL|TLS)_/.test(code)) return true;
  if (/^E[A-Z]+$/.test(code) || code.startsWith('EAI_') || code.startsWith('ERR_')) return false;
  return true;
}

/** A failed dial: ERR_TLS when TLS refused (cause says why), ERR_CONNECT when the network did. */
export function dialError(host: string, port: number, err: NodeJS.ErrnoException): QrpcError {
  const code = isTlsError(err) ? 'ERR_TLS' : 'ERR_CONNECT';
  return new QrpcError(code, `connect to ${host}:${port}: ${err.code ? `${err.code}: ` : ''}${err.message}`, { cause: err });
}
