import { QrpcError } from '../protocol/errors.js';

/** How an address is dialled: plain TCP (also written qrpc://), TLS, or the WebSocket overlay. */
export type AddressScheme = 'tcp' | 'tls' | 'ws' | 'wss';

export interface HostPort {
  host: string;
  port: number;
  /** From a "tls://", "ws://" or "wss://" prefix (or given); absent means plain TCP. */
  scheme?: AddressScheme;
  /** The HTTP path of a ws:// address. */
  path?: string;
}


/**
 * Parses Go-style addresses: "host:port", ":port" (all interfaces), "[::1]:port", or a port number,
 * optionally prefixed tcp://, qrpc:// or tls:// (the scheme is reported: the dialler must know it);
 * and WebSocket URLs "ws://host:port/path" (path "/qrpc" when absent).
 */
export function parseAddress(addr: string | number | HostPort, defaultHost: string): HostPort {
  if (typeof addr === 'string' && /^wss?:\/\//i.test(addr)) return parseWsUrl(addr, defaultHost);
  if (typeof addr === 'number') return { host: defaultHost, port: checkPort(addr, String(addr)) };
  if (typeof addr === 'object' && addr !== null) {
    const out: HostPort = { host: addr.host || defaultHost, port: checkPort(addr.port, JSON.stringify(addr)) };
    if (addr.scheme === 'tls') out.scheme = 'tls';
    return out;
  }
  if (typeof addr !== 'string') throw new QrpcError('ERR_INVALID_ARG', `address must be "host:port", got ${String(addr)}`);
  const prefix = /^(tcp|qrpc|tls):\/\//.exec(addr);
  const text = prefix ? addr.slice(prefix[0].length) : addr;
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw new QrpcError('ERR_INVALID_ARG', `address "${addr}" has no port`);
  let host = text.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const out: HostPort = { host: host || defaultHost, port: checkPort(Number(text.slice(colon + 1)), addr) };
  if (prefix?.[1] === 'tls') out.scheme = 'tls';
  return out;
}

function checkPort(port: number, shown: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new QrpcError('ERR_INVALID_ARG', `bad port in address ${shown}`);
  return port;
}

function parseWsUrl(addr: string, defaultHost: string): HostPort {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new QrpcError('ERR_INVALID_ARG', `bad WebSocket address "${addr}"`);
  }
  if (url.port === '') throw new QrpcError('ERR_INVALID_ARG', `address "${addr}" has no port`);
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  // No path at all ("ws://host:port") means Go's "/qrpc"; an explicit "/" stays "/".
  const hasPath = /^wss?:\/\/[^/?#]*[/?]/i.test(addr);
  const path = hasPath ? url.pathname : '/qrpc';
  return { host: host || defaultHost, port: checkPort(Number(url.port), addr), scheme: url.protocol === 'wss:' ? 'wss' : 'ws', path: path + url.search };
}
