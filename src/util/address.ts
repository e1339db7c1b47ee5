import { QrpcError } from '../protocol/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses Go-style addresses: "host:port", ":port" (all interfaces), "[::1]:port", or a port number. */
export function parseAddress(addr: string | number | HostPort, defaultHost: string): HostPort {
  if (typeof addr === 'number') return { host: defaultHost, port: checkPort(addr, String(addr)) };
  if (typeof addr === 'object' && addr !== null) return { host: addr.host || defaultHost, port: checkPort(addr.port, JSON.stringify(addr)) };
  if (typeof addr !== 'string') throw new QrpcError('ERR_INVALID_ARG', `address must be "host:port", got ${String(addr)}`);
  const text = addr.replace(/^(tcp|qrpc):\/\//, '');
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new QrpcError('ERR_INVALID_ARG', `address "${addr}" has no port`);
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || defaultHost, port: checkPort(Number(text.slice(colon + 1)), addr) };
}

function checkPort(port: number, shown: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new QrpcError('ERR_INVALID_ARG', `bad port in address ${shown}`);
  return port;
}
