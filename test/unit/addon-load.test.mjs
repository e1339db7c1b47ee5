// Both builds find the package root from their own depth (dist/ and
// dist/cjs/ sit at different levels) and load the same addon through
// node-gyp-build; in a clone that is the source build in build/Release/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const built = `${root}/build/Release/qrpc_native.node`;
const require = createRequire(import.meta.url);

test('the ESM build and the CommonJS build both find the package root', async () => {
  const esm = await import('../../dist/transport/native/package-root.cjs');
  const cjs = require('../../dist/cjs/transport/native/package-root.cjs');
  assert.is(esm.packageRoot(), root);
  assert.is(cjs.packageRoot(), root);
});

test('both builds load the one addon file (the source build when there is one), and the process maps it once', async () => {
  assert.ok(existsSync(built), `${built} exists (npm ci compiles it; the test runner also reports a clone without it)`);
  const { loadNativeAddon: loadEsm } = await import('../../dist/transport/native/load.js');
  const { loadNativeAddon: loadCjs } = require('../../dist/cjs/transport/native/load.js');
  const a = loadEsm();
  const b = loadCjs();
  assert.is(a.error, '');
  assert.is(b.error, '');
  assert.ok(a.addon === b.addon, 'one module object: node caches the addon by its path');
  const mapped = new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)[5]).filter((p) => p?.endsWith('.node')));
  assert.equal([...mapped], [built]);
});

test.run();
