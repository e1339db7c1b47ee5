import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Transport } from '../types.js';
import type { NativeAddon } from './binding.js';
import { createNativeTransport } from './index.js';

// src/transport/native/ and dist/transport/native/ are both three levels below the package root.
const root = new URL('../../../', import.meta.url);

let cached: { addon: NativeAddon | null; error: string } | null = null;
let transportCache: { transport: Transport | null; error: string } | null = null;

/** Loads build/Release/qrpc_native.node (once per thread); the error says why not. */
export function loadNativeAddon(): { addon: NativeAddon | null; error: string } {
  if (cached) return cached;
  if (process.platform !== 'linux') return (cached = { addon: null, error: `platform ${process.platform} has no epoll` });
  const path = fileURLToPath(new URL('build/Release/qrpc_native.node', root));
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    cached = { addon, error: '' };
  } catch (err) {
    let reason = '';
    try {
      reason = readFileSync(new URL('build/addon-build-error.txt', root), 'utf8').trim();
    } catch {
      // no record of a failed build
    }
    const message = (err as Error).message.split('\n')[0];
    cached = { addon: null, error: reason ? `${message} (addon build failed: ${reason})` : message };
  }
  return cached;
}

export function loadNativeTransport(): { transport: Transport | null; error: string } {
  if (transportCache) return transportCache;
  const { addon, error } = loadNativeAddon();
  if (!addon) return (transportCache = { transport: null, error });
  try {
    transportCache = { transport: createNativeTransport(addon), error: '' };
  } catch (err) {
    transportCache = { transport: null, error: `native addon failed to initialise: ${(err as Error).message}` };
  }
  return transportCache;
}
