// What `npm pack` puts in the tarball: the runtime (both builds, typings, a
// prebuild for this platform), what a source build needs, the examples and
// the licence; nothing dev-only, no source maps (their sources don't ship).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packedTarball, repoRoot } from './_tarball.mjs';

const { tarball, files } = await packedTarball();
const shipped = new Set(files);

test('every file matches a shipped kind: dist builds, native sources, the prebuild, examples, docs, licence', () => {
  const allowed = [
    /^package\.json$/,
    /^README\.md$/,
    /^LICENSE$/,
    /^binding\.gyp$/,
    /^scripts\/build-addon\.mjs$/,
    /^native\/[^/]+\.(cc|h)$/,
    /^native\/README\.md$/,
    /^prebuilds\/linux-x64\/qrpc-node\.glibc\.node$/,
    /^dist\/(cjs\/)?.+\.(js|cjs|d\.ts|d\.cts)$/,
    /^dist\/cjs\/package\.json$/,
    /^examples\/.+/,
  ];
  const stray = files.filter((f) => !allowed.some((re) => re.test(f)));
  assert.equal(stray, [], 'nothing else ships');
  for (const dev of ['test/', 'bench/', 'native/fuzz/', 'native/perf/', 'src/', 'scripts/fuzz', '.ci/']) {
    assert.equal(files.filter((f) => f.startsWith(dev)), [], `${dev} stays out`);
  }
  assert.equal(files.filter((f) => f.endsWith('.map')), [], 'no source maps');
});

test('the entry points, both typings, the CommonJS marker, the prebuild, the licence and the examples are there', () => {
  for (const f of ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'scripts/build-addon.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'prebuilds/linux-x64/qrpc-node.glibc.node']) {
    assert.ok(shipped.has(f), `${f} ships`);
  }
  // An example is a file or a folder (the browser demo's page).
  for (const f of readdirSync(join(repoRoot, 'examples'))) assert.ok(files.some((s) => s === `examples/${f}` || s.startsWith(`examples/${f}/`)), `examples/${f} ships`);
  assert.ok(shipped.has('dist/browser/qrpc.js') && shipped.has('dist/browser/types/index.d.ts') && shipped.has('dist/browser/types/_node/buffer.d.ts'), 'the browser bundle and its typings ship');
});

test('every native source binding.gyp compiles ships, so a source build can happen', () => {
  const gyp = readFileSync(join(repoRoot, 'binding.gyp'), 'utf8');
  const sources = [...gyp.matchAll(/"(native\/[^"]+\.cc)"/g)].map((m) => m[1]);
  assert.ok(sources.length > 0);
  for (const s of sources) assert.ok(shipped.has(s), `${s} ships`);
});

test('the ESM and CommonJS builds have the same modules (the browser bundle is ESM only)', () => {
  const esm = files.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/cjs/') && f !== 'dist/browser/qrpc.js' && /\.(c?js)$/.test(f)).map((f) => f.slice('dist/'.length));
  const cjs = files.filter((f) => f.startsWith('dist/cjs/') && /\.(c?js)$/.test(f)).map((f) => f.slice('dist/cjs/'.length));
  assert.ok(esm.length > 10);
  assert.equal(cjs.sort(), esm.sort());
});

test('the tarball holds the files as listed: MIT licence, CommonJS marker, an x86-64 ELF prebuild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-untar-'));
  try {
    const r = spawnSync('tar', ['-xzf', tarball, '-C', dir], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const pkg = join(dir, 'package');
    assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /^MIT License\n/);
    assert.is(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).license, 'MIT');
    assert.equal(JSON.parse(readFileSync(join(pkg, 'dist/cjs/package.json'), 'utf8')), { type: 'commonjs' });
    const elf = readFileSync(join(pkg, 'prebuilds/linux-x64/qrpc-node.glibc.node'));
    assert.equal([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF magic');
    assert.is(elf[4], 2, '64-bit');
    assert.is(elf.readUInt16LE(16), 3, 'a shared object (ET_DYN)');
    assert.is(elf.readUInt16LE(18), 0x3e, 'x86-64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
