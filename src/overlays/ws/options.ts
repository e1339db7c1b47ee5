import type { IncomingMessage } from 'node:http';
import { QrpcError } from '../../protocol/errors.js';

/** The WebSocket overlay of a binding (server side). */
export interface WsServerOverlay {
  type: 'ws';
  /** HTTP path that upgrades to qrpc; other paths answer 404. Default "/qrpc" (Go's path). */
  path?: string;
  /**
   * Origin check, run on every upgrade before the handshake completes; false
   * answers 403. Default: accept every origin, as Go's upgrader does — set it
   * when browsers with ambient credentials (cookies) can reach the server.
   * `origin` is the Origin header, or '' when absent (non-browser clients).
   */
  allowOrigin?: (origin: string, req: IncomingMessage) => boolean;
  /** Largest upgrade request head (request line + headers) in bytes; bigger answers 431. Default 16 KiB. */
  maxUpgradeBytes?: number;
}

/** The WebSocket overlay of a client (when the address is not a ws:// URL). */
export interface WsClientOverlay {
  type: 'ws';
  path?: string;
}

export const DEFAULT_WS_PATH = '/qrpc';
export const DEFAULT_MAX_UPGRADE_BYTES = 16 * 1024;

export interface ResolvedWsServer {
  path: string;
  allowOrigin: (origin: string, req: IncomingMessage) => boolean;
  maxUpgradeBytes: number;
}

const acceptAll = (): boolean => true;

/** 'ws' or { type: 'ws', ... } → every field set; anything else is an argument error. */
export function resolveServerOverlay(overlay: 'ws' | WsServerOverlay): ResolvedWsServer {
  const o: WsServerOverlay = overlay === 'ws' ? { type: 'ws' } : overlay;
  if (o === null || typeof o !== 'object' || o.type !== 'ws') throw new QrpcError('ERR_INVALID_ARG', `overlay must be 'ws' or { type: 'ws', ... }`);
  const path = checkPath(o.path ?? DEFAULT_WS_PATH);
  if (o.allowOrigin !== undefined && typeof o.allowOrigin !== 'function') throw new QrpcError('ERR_INVALID_ARG', 'overlay.allowOrigin must be a function');
  const maxUpgradeBytes = o.maxUpgradeBytes ?? DEFAULT_MAX_UPGRADE_BYTES;
  if (!Number.isInteger(maxUpgradeBytes) || maxUpgradeBytes < 256) throw new QrpcError('ERR_INVALID_ARG', 'overlay.maxUpgradeBytes must be an integer ≥ 256');
  return { path, allowOrigin: o.allowOrigin ?? acceptAll, maxUpgradeBytes };
}

export function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new QrpcError('ERR_INVALID_ARG', `WebSocket path must start with "/", got ${String(path)}`);
  return path;
}
