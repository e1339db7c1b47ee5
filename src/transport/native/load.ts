import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transport } from '../types.js';
import type { NativeAddon } from './binding.js';
import { createNativeTransport } from './index.js';
import { packageRoot } from './package-root.cjs';
import { requireFromPackage } from '../../util/cjs-require.cjs';

/** node-gyp-build: build/Release (a source build) first, then prebuilds/<platform>-<arch>/ matching this runtime. */
type NodeGypBuild = (dir: string) => unknown;

let cached: { addon: NativeAddon | null; error: string } | null = null;
let transportCache: { transport: Transport | null; error: string } | null = null;

/** Why the install script could not build the addon, if it recorded that. */
function recordedBuildFailure(root: string): string {
  try {
    return readFileSync(join(root, 'build', 'addon-build-error.txt'), 'utf8').trim();
  } catch {
    return '';
  }
}

/** Loads the addon (a source build, else a fitting prebuild) once per thread; the error says why not. */
export function loadNativeAddon(): { addon: NativeAddon | null; error: string } {
  if (cached) return cached;
  if (process.platform !== 'linux') return (cached = { addon: null, error: `platform ${process.platform} has no epoll` });
  const root = packageRoot();
  if (root === null) return (cached = { addon: null, error: 'package root (the folder holding binding.gyp) not found' });
  try {
    const nodeGypBuild = requireFromPackage('node-gyp-build') as NodeGypBuild;
    cached = { addon: nodeGypBuild(root) as NativeAddon, error: '' };
  } catch (err) {
    const reason = recordedBuildFailure(root);
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
