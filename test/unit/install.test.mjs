// `npm install` runs scripts/build-addon.mjs: a build that cannot happen must
// not fail the install; it exits 0, says why once, and records the reason
// for backend() to report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reasonFile = join(root, 'build', 'addon-build-error.txt');

test('a skipped or failed addon build exits 0, prints the reason once and records it', () => {
  const saved = existsSync(reasonFile) ? readFileSync(reasonFile) : null;
  try {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], {
      env: { ...process.env, QRPC_SKIP_NATIVE_BUILD: '1' },
      encoding: 'utf8',
    });
    assert.is(r.status, 0, 'the install step succeeds');
    const lines = r.stderr.split('\n').filter((l) => l.includes('native addon not built'));
    assert.is(lines.length, 1, 'the reason is printed once');
    assert.match(lines[0], 'QRPC_SKIP_NATIVE_BUILD=1');
    assert.match(lines[0], 'pure-TypeScript backend will be used');
    assert.is(readFileSync(reasonFile, 'utf8').trim(), 'QRPC_SKIP_NATIVE_BUILD=1');
  } finally {
    if (saved === null) rmSync(reasonFile, { force: true });
    else writeFileSync(reasonFile, saved);
  }
});

test.run();
