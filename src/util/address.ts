import { QrpcError } from '../protocol/errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** A parsed address: plain TCP, or a WebSocket URL (`scheme` 'ws' and its `path`, default "/qrpc"). */
export interface ParsedAddress extends HostPort {
  scheme?: 'ws';
  path?: string;
}

/**
 * Parses Go-style addresses: "host:port", ":port" (all interfaces), "[::1]:port",
 * or a port number; and WebSocket URLs "ws://host:port/path" (path "/qrpc" when absent).
 */
export function parseAddress(addr: string | number | HostPort, defaultHost: string): ParsedAddress {
  if (typeof addr === 'string' && /^ws:\/\//i.test(addr)) return parseWsUrl(addr, defaultHost);
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

function parseWsUrl(addr: string, defaultHost: string): ParsedAddress {
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
  const hasPath = /^ws:\/\/[^/?#]*[/?]/i.test(addr);
  const path = hasPath ? url.pathname : '/qrpc';
  return { host: host || defaultHost, port: checkPort(Number(url.port), addr), scheme: 'ws', path: path + url.search };
}
