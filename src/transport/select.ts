/**
 * Backend selection. On first use the native addon is tried; if it cannot
 * load, the pure-TypeScript backend is used and the reason kept.
 * QRPC_BACKEND=native|fallback forces one; forcing native where it cannot load
 * is an error, and any other value is rejected.
 */
// Node's process global is an accessor: the module binding skips a getter call per use.
import process from 'node:process';
import { QrpcError } from '../protocol/errors.js';
import { fallbackTransport } from './fallback/index.js';
import { loadNativeTransport } from './native/load.js';
import type { BackendName, Transport } from './types.js';

export interface BackendInfo {
  name: BackendName;
  /** Why the native addon is not in use (null when it is). */
  loadError: string | null;
  forced: boolean;
}

let selected: { transport: Transport; info: BackendInfo } | null = null;

function choose(): { transport: Transport; info: BackendInfo } {
  const env = process.env.QRPC_BACKEND;
  if (env !== undefined && env !== '' && env !== 'native' && env !== 'fallback') {
    throw new QrpcError('ERR_BACKEND', `QRPC_BACKEND must be "native" or "fallback", got "${env}"`);
  }
  if (env === 'fallback') {
    return { transport: fallbackTransport, info: { name: 'fallback', loadError: 'forced by QRPC_BACKEND=fallback', forced: true } };
  }
  const native = loadNativeTransport();
  if (native.transport) return { transport: native.transport, info: { name: 'native', loadError: null, forced: env === 'native' } };
  if (env === 'native') {
    throw new QrpcError('ERR_BACKEND', `QRPC_BACKEND=native but the native addon cannot load: ${native.error}`);
  }
  return { transport: fallbackTransport, info: { name: 'fallback', loadError: native.error, forced: false } };
}

export function transport(): Transport {
  selected ??= choose();
  return selected.transport;
}

/** Reports the active backend and, for the fallback, why the addon is not used. */
export function backend(): BackendInfo {
  selected ??= choose();
  return { ...selected.info };
}
