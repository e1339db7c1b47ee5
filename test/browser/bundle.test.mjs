// The browser build as shipped (dist/browser/qrpc.js): within its size budget
// (minified + gzip, the figure the README states), self-contained ESM with no
// node: imports, and exporting the documented names.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE } from './harness.mjs';

/** The budget the README promises (section "Browser client"); raise both together, on purpose. */
const BUDGET_BYTES = 28 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const code = readFileSync(BUNDLE, 'utf8');

test(`minified + gzip size is within the ${BUDGET_BYTES / 1024} KiB budget`, () => {
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`  dist/browser/qrpc.js: ${code.length} bytes minified, ${gzipped} bytes gzip`);
  assert.ok(gzipped <= BUDGET_BYTES, `${gzipped} bytes gzip is above the budget of ${BUDGET_BYTES}`);
});

test('the README states the same budget', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  assert.match(readme, new RegExp(`size budget[^\\n]*\\b${BUDGET_BYTES / 1024} KiB`, 'i'));
});

test('self-contained: no import statements, no node: specifiers', () => {
  assert.not.match(code, /\bimport\s*[{*"'(]/);
  assert.not.match(code, /["']node:/);
});

test('the package export qrpc-node/browser points at the bundle and its types', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['./browser'], { types: './dist/browser/types/index.d.ts', browser: './dist/browser/qrpc.js', default: './dist/browser/qrpc.js' });
  assert.ok(readFileSync(join(root, 'dist', 'browser', 'types', 'browser', 'index.d.ts'), 'utf8').includes('connect'));
});

test('the documented names are exported', async () => {
  // Evaluated as a module in Node: the bundle needs only what pages and Node share (no browser globals at load time).
  const mod = await import(BUNDLE);
  for (const name of ['connect', 'Connection', 'ServeMux', 'Flags', 'QrpcError', 'ResetReason', 'silentLogger', 'consoleLogger', 'routingOf', 'opaqueOf', 'withOpaque']) {
    assert.ok(name in mod, name);
  }
  assert.not.ok('Server' in mod, 'no server in the browser build');
});

test.run();
