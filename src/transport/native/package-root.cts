// CommonJS in both builds (a .cts file), because the package root is found
// from this file's own location: the ESM build has no __dirname and the
// CommonJS build cannot parse import.meta.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The installed package's root: the nearest folder above this file holding
 * binding.gyp (shipped for source builds). Its depth differs between
 * dist/transport/native/ and dist/cjs/transport/native/; null if not found.
 */
export function packageRoot(): string | null {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

